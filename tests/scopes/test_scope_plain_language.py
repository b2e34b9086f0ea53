"""Consent-screen wording: every US Core type, granular categories, specials, wildcards."""

from __future__ import annotations

import pytest

from scopes.categories import (
    CONDITION_CATEGORIES,
    DOCUMENT_REFERENCE_CATEGORIES,
    OBSERVATION_CATEGORIES,
    GranularChoice,
    category_of,
    granular_choices,
)
from scopes.grammar import SPECIAL_SCOPES, ResourceScope, parse_scope
from scopes.negotiation import negotiate
from scopes.plain_language import (
    RESOURCE_NOUNS,
    US_CORE_RESOURCE_TYPES,
    ScopeDescription,
    describe,
    resource_noun,
    special_description,
)

OBS = "http://terminology.hl7.org/CodeSystem/observation-category"
USC = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
COND = "http://terminology.hl7.org/CodeSystem/condition-category"
USC_COND = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"

US_CORE_TITLES = {
    "AllergyIntolerance": "Your allergies and intolerances",
    "Binary": "Your attached files (documents and images)",
    "CarePlan": "Your care plans",
    "CareTeam": "Your care teams",
    "Condition": "Your health conditions and diagnoses",
    "Coverage": "Your insurance coverage",
    "Device": "Your implants and medical devices",
    "DiagnosticReport": "Your test and imaging reports",
    "DocumentReference": "Your clinical documents and notes",
    "Encounter": "Your visits and hospital stays",
    "Goal": "Your health goals",
    "Immunization": "Your immunizations (vaccines)",
    "Location": "Your places of care",
    "Medication": "Your medication details",
    "MedicationDispense": "Your pharmacy fills",
    "MedicationRequest": "Your medications",
    "Observation": "Your test results, vital signs and other observations",
    "Organization": "Your healthcare organizations",
    "Patient": "Your demographics (name, birth date, contact details)",
    "Practitioner": "Your doctors and other care providers",
    "PractitionerRole": "Your care providers' roles and contact details",
    "Procedure": "Your procedures and surgeries",
    "Provenance": "Your record history (who created or changed each record)",
    "QuestionnaireResponse": "Your questionnaire answers",
    "RelatedPerson": "Your caregivers and related people",
    "ServiceRequest": "Your orders and referrals",
    "Specimen": "Your lab samples",
}


def test_every_us_core_type_has_wording() -> None:
    assert set(US_CORE_RESOURCE_TYPES) == set(US_CORE_TITLES)
    assert set(RESOURCE_NOUNS) == set(US_CORE_TITLES)


@pytest.mark.parametrize(("resource_type", "title"), sorted(US_CORE_TITLES.items()))
def test_patient_read_titles_for_us_core_types(resource_type: str, title: str) -> None:
    description = describe(parse_scope(f"patient/{resource_type}.rs"))
    assert description.title == title
    assert description.detail == (
        f"The app can read and search {title[0].lower() + title[1:]} (FHIR {resource_type}).")


@pytest.mark.parametrize("resource_type", sorted(US_CORE_TITLES))
def test_user_and_system_titles_for_us_core_types(resource_type: str) -> None:
    noun = RESOURCE_NOUNS[resource_type]
    capital = noun[0].upper() + noun[1:]
    assert describe(parse_scope(f"user/{resource_type}.rs")).title == (
        f"{capital} of patients you can see")
    assert describe(parse_scope(f"system/{resource_type}.read")).title == (
        f"{capital} of all patients")


@pytest.mark.parametrize(
    ("scope", "title", "detail"),
    [
        ("patient/MedicationRequest.rs", "Your medications",
         "The app can read and search your medications (FHIR MedicationRequest)."),
        ("patient/MedicationRequest.r", "Your medications",
         "The app can read your medications (FHIR MedicationRequest)."),
        ("patient/MedicationRequest.s", "Your medications",
         "The app can search your medications (FHIR MedicationRequest)."),
        ("patient/MedicationRequest.cu", "Add or change your medications",
         "The app can add to and change your medications (FHIR MedicationRequest)."),
        ("patient/MedicationRequest.c", "Add your medications",
         "The app can add to your medications (FHIR MedicationRequest)."),
        ("patient/MedicationRequest.d", "Delete your medications",
         "The app can delete your medications (FHIR MedicationRequest)."),
        ("patient/MedicationRequest.write", "Add, change or delete your medications",
         "The app can add to, change and delete your medications (FHIR MedicationRequest)."),
        ("patient/MedicationRequest.cruds", "See and add, change or delete your medications",
         "The app can add to, read, change, delete and search your medications "
         "(FHIR MedicationRequest)."),
        ("patient/Goal.ru", "See and change your health goals",
         "The app can read and change your health goals (FHIR Goal)."),
        ("user/Observation.write",
         "Add, change or delete test results, vital signs and other observations of patients "
         "you can see",
         "The app can add to, change and delete test results, vital signs and other "
         "observations of patients you can see (FHIR Observation)."),
        ("patient/*.rs", "All of your health records, including types added in the future",
         "The app can read and search all of your health records, including types added in "
         "the future."),
        ("patient/*.read", "All of your health records, including types added in the future",
         "The app can read and search all of your health records, including types added in "
         "the future."),
        ("user/*.rs",
         "All health records of patients you can see, including types added in the future",
         "The app can read and search all health records of patients you can see, including "
         "types added in the future."),
        ("system/*.read", "All health records of all patients, including types added in the "
         "future", "The app can read and search all health records of all patients, including "
         "types added in the future."),
        ("patient/*.cruds", "See and add, change or delete all of your health records, including "
         "types added in the future", "The app can add to, read, change, delete and search "
         "all of your health records, including types added in the future."),
        (f"patient/Observation.rs?category={OBS}|laboratory", "Your lab results",
         "The app can read and search your lab results (FHIR Observation)."),
        (f"patient/Condition.rs?category={COND}|problem-list-item", "Your problem list",
         "The app can read and search your problem list (FHIR Condition)."),
        (f"user/Observation.rs?category={OBS}|vital-signs", "Vital signs of patients you can see",
         "The app can read and search vital signs of patients you can see (FHIR Observation)."),
        (f"patient/Observation.rs?category={OBS}|laboratory&code=x",
         "Some of your test results, vital signs and other observations",
         "The app can read and search some of your test results, vital signs and other "
         f"observations (FHIR Observation). Only records matching category={OBS}|laboratory, "
         "code=x."),
        ("user/Condition.r?clinical-status=active",
         "Some health conditions and diagnoses of patients you can see",
         "The app can read some health conditions and diagnoses of patients you can see "
         "(FHIR Condition). Only records matching clinical-status=active."),
        ("patient/ClaimResponse.rs", "Your claim response records",
         "The app can read and search your claim response records (FHIR ClaimResponse)."),
        ("system/Group.read", "Group records of all patients",
         "The app can read and search group records of all patients (FHIR Group)."),
    ],
)
def test_descriptions(scope: str, title: str, detail: str) -> None:
    assert describe(parse_scope(scope)) == ScopeDescription(title, detail)


@pytest.mark.parametrize(
    ("resource_type", "noun"),
    [("ClaimResponse", "claim response records"), ("Group", "group records"),
     ("MolecularSequence", "molecular sequence records"), ("A", "a records"),
     ("MedicationRequest", "medications")],
)
def test_resource_noun_fallback(resource_type: str, noun: str) -> None:
    assert resource_noun(resource_type) == noun


# --- granular categories ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("scope", "title"),
    [
        (f"patient/Observation.rs?category={OBS}|laboratory", "Your lab results"),
        (f"patient/Observation.rs?category={OBS}|vital-signs", "Your vital signs"),
        (f"patient/Observation.rs?category={OBS}|social-history", "Your social history"),
        (f"patient/Observation.rs?category={OBS}|survey", "Your survey and questionnaire answers"),
        (f"patient/Observation.rs?category={USC}|sdoh",
         "Your social needs (social determinants of health)"),
        (f"patient/Observation.rs?category={OBS}|procedure", "Your clinical test results"),
        (f"patient/Observation.rs?category={OBS}|imaging", "Your imaging results"),
        (f"patient/Observation.rs?category={OBS}|exam", "Your physical exam findings"),
        (f"patient/Observation.rs?category={OBS}|therapy", "Your therapy results"),
        (f"patient/Observation.rs?category={OBS}|activity", "Your physical activity"),
        (f"patient/Observation.rs?category={USC}|functional-status", "Your functional status"),
        (f"patient/Observation.rs?category={USC}|disability-status", "Your disability status"),
        (f"patient/Observation.rs?category={USC}|cognitive-status", "Your cognitive status"),
        (f"patient/Observation.rs?category={USC}|treatment-intervention-preference",
         "Your treatment preferences"),
        (f"patient/Observation.rs?category={USC}|care-experience-preference",
         "Your care experience preferences"),
        (f"patient/Condition.rs?category={COND}|problem-list-item", "Your problem list"),
        (f"patient/Condition.rs?category={COND}|encounter-diagnosis",
         "Your diagnoses from visits (encounter diagnoses)"),
        (f"patient/Condition.rs?category={USC_COND}|health-concern", "Your health concerns"),
        ("patient/DocumentReference.rs?category=http://hl7.org/fhir/us/core/CodeSystem/"
         "us-core-documentreference-category|clinical-note", "Your clinical notes"),
        # a category code under the wrong type or system is not named
        (f"patient/Condition.rs?category={OBS}|laboratory",
         "Some of your health conditions and diagnoses"),
        (f"patient/Observation.rs?category={USC}|laboratory",
         "Some of your test results, vital signs and other observations"),
        (f"patient/Observation.rs?category={OBS}|Laboratory",
         "Some of your test results, vital signs and other observations"),
    ],
)
def test_category_titles(scope: str, title: str) -> None:
    assert describe(parse_scope(scope)).title == title


def test_us_core_7_granular_scope_strings_are_exact() -> None:
    required = {
        ("Condition", f"{COND}|encounter-diagnosis"),
        ("Condition", f"{COND}|problem-list-item"),
        ("Condition", f"{USC_COND}|health-concern"),
        ("Observation", f"{OBS}|laboratory"),
        ("Observation", f"{OBS}|social-history"),
        ("Observation", f"{OBS}|vital-signs"),
        ("Observation", f"{OBS}|survey"),
        ("Observation", f"{USC}|sdoh"),
        ("Observation", f"{OBS}|procedure"),  # (g)(10) "Clinical Test" attestation
        ("DocumentReference",
         "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category|clinical-note"),
    }
    offered = {
        (resource_type, choice.scope_filter[1])
        for resource_type in ("Condition", "Observation", "DocumentReference")
        for choice in granular_choices(resource_type)
    }
    assert offered == required
    assert all(choice.scope_filter[0] == "category"
               for t in ("Condition", "Observation") for choice in granular_choices(t))


def test_granular_choices_in_consent_order_with_labels() -> None:
    assert granular_choices("Observation") == (
        GranularChoice(("category", f"{OBS}|laboratory"), "Lab results"),
        GranularChoice(("category", f"{OBS}|vital-signs"), "Vital signs"),
        GranularChoice(("category", f"{OBS}|social-history"), "Social history"),
        GranularChoice(("category", f"{OBS}|survey"), "Survey and questionnaire answers"),
        GranularChoice(("category", f"{USC}|sdoh"),
                       "Social needs (social determinants of health)"),
        GranularChoice(("category", f"{OBS}|procedure"), "Clinical test results"),
    )
    assert granular_choices("Condition") == (
        GranularChoice(("category", f"{COND}|problem-list-item"), "Problem list"),
        GranularChoice(("category", f"{COND}|encounter-diagnosis"),
                       "Diagnoses from visits (encounter diagnoses)"),
        GranularChoice(("category", f"{USC_COND}|health-concern"), "Health concerns"),
    )


@pytest.mark.parametrize("resource_type", ["Patient", "MedicationRequest", "*", "Encounter"])
def test_no_granular_choices_for_other_types(resource_type: str) -> None:
    assert granular_choices(resource_type) == ()


@pytest.mark.parametrize("resource_type", ["Observation", "Condition", "DocumentReference"])
def test_a_granular_choice_turns_a_resource_scope_into_a_grantable_granular_scope(
    resource_type: str,
) -> None:
    requested = parse_scope(f"patient/{resource_type}.rs")
    assert isinstance(requested, ResourceScope)
    for choice in granular_choices(resource_type):
        chosen = requested.with_filters((choice.scope_filter,))
        assert chosen.format() == f"patient/{resource_type}.rs?category={choice.scope_filter[1]}"
        assert describe(chosen).title == "Your " + choice.label[0].lower() + choice.label[1:]
        assert negotiate(chosen.format(), [requested.format()]).granted == (chosen.format(),)


def test_category_tables_have_no_duplicates_and_only_known_systems() -> None:
    for table in (OBSERVATION_CATEGORIES, CONDITION_CATEGORIES, DOCUMENT_REFERENCE_CATEGORIES):
        assert len({c.scope_filter for c in table}) == len(table)
        assert len({c.label for c in table}) == len(table)
    assert {c.system for c in OBSERVATION_CATEGORIES} == {OBS, USC}
    assert {c.system for c in CONDITION_CATEGORIES} == {COND, USC_COND}


@pytest.mark.parametrize(
    ("resource_type", "filters", "code"),
    [
        ("Observation", (("category", f"{OBS}|laboratory"),), "laboratory"),
        ("Observation", (("category", f"{OBS}|laboratory"), ("code", "x")), None),
        ("Observation", (), None),
        ("Observation", (("code", f"{OBS}|laboratory"),), None),
        ("Condition", (("category", f"{OBS}|laboratory"),), None),
        ("Patient", (("category", f"{OBS}|laboratory"),), None),
    ],
)
def test_category_of(resource_type: str, filters: tuple[tuple[str, str], ...],
                     code: str | None) -> None:
    found = category_of(resource_type, filters)
    assert (found.code if found else None) == code


# --- special scopes -----------------------------------------------------------------------------

SPECIAL_TITLES = {
    "openid": "Know who you are",
    "fhirUser": "Know who you are in the health record",
    "profile": "See your basic profile",
    "launch": "Start from your health record system",
    "launch/patient": "Know which patient's records to use",
    "launch/encounter": "Know which visit is open",
    "offline_access": "Keep access when you are not using the app (until you revoke it)",
    "online_access": "Keep access while you are signed in",
}


@pytest.mark.parametrize(("name", "title"), sorted(SPECIAL_TITLES.items()))
def test_special_descriptions(name: str, title: str) -> None:
    assert special_description(name).title == title
    assert describe(parse_scope(name)) == special_description(name)
    assert special_description(name).detail.startswith("The app ")


def test_every_special_scope_is_described() -> None:
    assert set(SPECIAL_TITLES) == SPECIAL_SCOPES


def test_unknown_special_scope_has_no_description() -> None:
    with pytest.raises(KeyError):
        special_description("email")


def test_offline_access_detail_mentions_revocation() -> None:
    assert special_description("offline_access").detail == (
        "The app can keep reading the records you allow without you being signed in, until you "
        "revoke its access.")
