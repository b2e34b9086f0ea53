"""scopes.membership: is an upstream resource part of patient P's world?  Deny by default.

Rows cover the read-side edge cases of peer-gateways.md (c): 5 (another patient referenced
next to P), 11 (identity comparison: prefixes, absolute, versioned, encoded), 18 (every
reference, not only subject), 23 (non-compartment types).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopes.compartment import PATIENT_COMPARTMENT
from scopes.membership import (
    DEFAULT_SHARED_TYPES,
    EXCLUDED_TYPES,
    PATIENT_BOUND_TYPES,
    names_other_patient,
    visible,
)
from scopes.patient_refs import patient_references

UUID = "urn:uuid:98e27e8b-0e0a-4b8f-a444-6e37e003049c"


def ref(value: object) -> dict[str, Any]:
    return {"reference": value}


def res(resource_type: str, **elements: Any) -> dict[str, Any]:
    return {"resourceType": resource_type, "id": "x1", **elements}


def obs(**elements: Any) -> dict[str, Any]:
    return res("Observation", status="final", **elements)


# (name, resource, patient, visible, reason)
ROWS: list[tuple[str, Any, str, bool, str]] = [
    # Patient resources: by id, exactly.
    ("own Patient", res("Patient") | {"id": "p1"}, "p1", True, "own-patient-record"),
    ("other Patient", res("Patient") | {"id": "p2"}, "p1", False, "other-patient-record"),
    ("Patient p10 vs p1", res("Patient") | {"id": "p10"}, "p1", False, "other-patient-record"),
    ("Patient p1 vs p10", res("Patient") | {"id": "p1"}, "p10", False, "other-patient-record"),
    ("Patient 12 vs 123", res("Patient") | {"id": "12"}, "123", False, "other-patient-record"),
    ("Patient case", res("Patient") | {"id": "P1"}, "p1", False, "other-patient-record"),
    ("Patient without id", {"resourceType": "Patient"}, "p1", False, "other-patient-record"),
    ("own Patient linking another", res("Patient", link=[{"other": ref("Patient/p2")}])
     | {"id": "p1"}, "p1", True, "own-patient-record"),
    # Compartment types: P at least once, nobody else anywhere.
    ("subject P", obs(subject=ref("Patient/p1")), "p1", True, "in-patient-compartment"),
    ("subject absolute", obs(subject=ref("https://ehr/fhir/Patient/p1")), "p1", True,
     "in-patient-compartment"),
    ("subject versioned", obs(subject=ref("Patient/p1/_history/2")), "p1", True,
     "in-patient-compartment"),
    ("subject encoded", obs(subject=ref("Patient%2Fp1")), "p1", True, "in-patient-compartment"),
    ("subject padded", obs(subject=ref(" Patient/p1 ")), "p1", True, "in-patient-compartment"),
    ("subject other", obs(subject=ref("Patient/p2")), "p1", False, "references-other-patient"),
    ("subject prefix p10", obs(subject=ref("Patient/p10")), "p1", False,
     "references-other-patient"),
    ("subject prefix p1 for p10", obs(subject=ref("Patient/p1")), "p10", False,
     "references-other-patient"),
    ("subject 123 for 12", obs(subject=ref("Patient/123")), "12", False,
     "references-other-patient"),
    ("subject other server other id", obs(subject=ref("https://other.example/Patient/p2")),
     "p1", False, "references-other-patient"),
    ("subject other server same id", obs(subject=ref("https://other.example/Patient/p1")),
     "p1", True, "in-patient-compartment"),
    ("performer other patient", obs(subject=ref("Patient/p1"), performer=[ref("Patient/p2")]),
     "p1", False, "references-other-patient"),
    ("performer P only", obs(subject=ref("Group/g1"), performer=[ref("Patient/p1")]),
     "p1", True, "in-patient-compartment"),
    ("focus other", obs(subject=ref("Patient/p1"), focus=[ref("Patient/p2")]), "p1", False,
     "references-other-patient"),
    ("extension other", obs(subject=ref("Patient/p1"), extension=[
        {"url": "u", "valueReference": ref("Patient/p2")}]), "p1", False,
     "references-other-patient"),
    ("modifierExtension other", obs(subject=ref("Patient/p1"), modifierExtension=[
        {"url": "u", "valueReference": ref("Patient/p3")}]), "p1", False,
     "references-other-patient"),
    ("component extension other", obs(subject=ref("Patient/p1"), component=[
        {"code": {}, "extension": [{"url": "u", "valueReference": ref("Patient/p2")}]}]),
     "p1", False, "references-other-patient"),
    ("contained Patient of another", obs(subject=ref("#pat"), contained=[
        res("Patient") | {"id": "pat"}]), "p1", False, "embedded-patient"),
    ("contained Patient alongside P", obs(subject=ref("Patient/p1"), contained=[
        res("Patient") | {"id": "p1"}]), "p1", False, "embedded-patient"),
    ("contained resource refs other", obs(subject=ref("Patient/p1"), contained=[
        res("Observation", subject=ref("Patient/p2"))], hasMember=[ref("#x1")]), "p1", False,
     "references-other-patient"),
    ("contained resource refs P", obs(subject=ref("Patient/p1"), contained=[
        res("Observation", subject=ref("Patient/p1"))], hasMember=[ref("#x1")]), "p1", True,
     "in-patient-compartment"),
    ("contained Practitioner", res("MedicationRequest", subject=ref("Patient/p1"), contained=[
        res("Practitioner") | {"id": "dr"}], requester=ref("#dr")), "p1", True,
     "in-patient-compartment"),
    ("dangling contained ref", obs(subject=ref("Patient/p1"), hasMember=[ref("#gone")]), "p1",
     False, "uninterpretable-reference"),
    ("urn uuid subject", obs(subject=ref(UUID)), "p1", False, "uninterpretable-reference"),
    ("urn uuid next to P", obs(subject=ref("Patient/p1"), performer=[ref(UUID)]), "p1", False,
     "uninterpretable-reference"),
    ("malformed subject", obs(subject=ref("Patient/p1/")), "p1", False,
     "uninterpretable-reference"),
    ("lowercase type", obs(subject=ref("patient/p1")), "p1", False, "uninterpretable-reference"),
    ("double-encoded", obs(subject=ref("Patient%252Fp1")), "p1", False,
     "uninterpretable-reference"),
    ("non-string reference", obs(subject=ref(["Patient/p1"])), "p1", False,
     "uninterpretable-reference"),
    ("logical patient by identifier", obs(subject=ref("Patient/p1"), performer=[
        {"type": "Patient", "identifier": {"system": "mrn", "value": "2"}}]), "p1", False,
     "uninterpretable-reference"),
    ("type contradicts reference", obs(subject={"reference": "Practitioner/d",
                                                "type": "Patient"}), "p1", False,
     "uninterpretable-reference"),
    ("missing subject", obs(), "p1", False, "no-reference-to-patient"),
    ("subject Group", obs(subject=ref("Group/g1")), "p1", False, "no-reference-to-patient"),
    ("subject display only", obs(subject={"display": "Amy"}), "p1", False,
     "no-reference-to-patient"),
    ("List without subject", res("List", status="current", mode="working", entry=[
        {"item": ref("Practitioner/d")}]), "p1", False, "no-reference-to-patient"),
    ("List with subject P", res("List", status="current", mode="working",
                                subject=ref("Patient/p1")), "p1", True, "in-patient-compartment"),
    ("Provenance targeting P", res("Provenance", target=[ref("Patient/p1"),
                                                         ref("Condition/c1")]),
     "p1", True, "in-patient-compartment"),
    ("Provenance without patient", res("Provenance", target=[ref("Condition/c1")]), "p1",
     False, "no-reference-to-patient"),
    ("RelatedPerson of P", res("RelatedPerson", patient=ref("Patient/p1")), "p1", True,
     "in-patient-compartment"),
    ("RelatedPerson of other", res("RelatedPerson", patient=ref("Patient/p2")), "p1", False,
     "references-other-patient"),
    ("Coverage beneficiary other", res("Coverage", beneficiary=ref("Patient/p1"),
                                       subscriber=ref("Patient/p2")), "p1", False,
     "references-other-patient"),
    ("CareTeam two patients", res("CareTeam", subject=ref("Patient/p1"), participant=[
        {"member": ref("Patient/p2")}]), "p1", False, "references-other-patient"),
    ("Appointment two patients", res("Appointment", participant=[
        {"actor": ref("Patient/p1")}, {"actor": ref("Patient/p2")}]), "p1", False,
     "references-other-patient"),
    # Shared reference data: visible unless it names another patient.
    ("Practitioner", res("Practitioner"), "p1", True, "shared-reference-data"),
    ("PractitionerRole", res("PractitionerRole", practitioner=ref("Practitioner/d")), "p1",
     True, "shared-reference-data"),
    ("Organization", res("Organization", partOf=ref("Organization/o")), "p1", True,
     "shared-reference-data"),
    ("Location", res("Location"), "p1", True, "shared-reference-data"),
    ("Medication", res("Medication", manufacturer=ref("Organization/o")), "p1", True,
     "shared-reference-data"),
    ("Substance", res("Substance"), "p1", True, "shared-reference-data"),
    ("Device of P", res("Device", patient=ref("Patient/p1")), "p1", True,
     "shared-reference-data"),
    ("Device unassigned", res("Device"), "p1", True, "shared-reference-data"),
    ("Device of other", res("Device", patient=ref("Patient/p2")), "p1", False,
     "references-other-patient"),
    ("Practitioner extension other", res("Practitioner", extension=[
        {"url": "u", "valueReference": ref("Patient/p2")}]), "p1", False,
     "references-other-patient"),
    ("Organization contained Patient", res("Organization", contained=[
        res("Patient") | {"id": "q"}]), "p1", False, "embedded-patient"),
    ("Location urn uuid", res("Location", partOf=ref(UUID)), "p1", False,
     "uninterpretable-reference"),
    # Everything else: not in a patient's world.
    ("Group with P only", res("Group", type="person", actual=True, member=[
        {"entity": ref("Patient/p1")}]), "p1", False, "type-excluded"),
    ("Group of many", res("Group", member=[{"entity": ref("Patient/p1")},
                                           {"entity": ref("Patient/p2")}]), "p1", False,
     "type-excluded"),
    ("Bundle", res("Bundle", type="collection"), "p1", False, "type-not-shareable"),
    ("Binary", res("Binary", securityContext=ref("Patient/p1")), "p1", False,
     "type-not-shareable"),
    ("ValueSet", res("ValueSet"), "p1", False, "type-not-shareable"),
    ("unknown type", res("FutureThing", subject=ref("Patient/p1")), "p1", False,
     "type-not-shareable"),
    ("no resourceType", {"id": "x", "subject": ref("Patient/p1")}, "p1", False,
     "not-a-resource"),
    ("resourceType not a string", {"resourceType": ["Observation"]}, "p1", False,
     "not-a-resource"),
    ("not a mapping", ["Observation"], "p1", False, "not-a-resource"),
]


@pytest.mark.parametrize(("resource", "patient", "shown", "reason"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_patient_membership_table(
    resource: Any, patient: str, shown: bool, reason: str,
) -> None:
    result = visible(resource, patient=patient)
    assert (result.visible, result.reason) == (shown, reason)


@pytest.mark.parametrize("resource", [row[1] for row in ROWS], ids=[row[0] for row in ROWS])
def test_unconfined_grants_are_not_filtered_here(resource: Any) -> None:
    result = visible(resource, patient=None)
    assert (result.visible, result.reason) == (True, "unconfined")


@pytest.mark.parametrize(
    "resource",
    [row[1] for row in ROWS if isinstance(row[1], dict) and "resourceType" in row[1]
     and row[1]["resourceType"] not in ("Patient",)],
    ids=[row[0] for row in ROWS if isinstance(row[1], dict) and "resourceType" in row[1]
         and row[1]["resourceType"] not in ("Patient",)],
)
def test_precomputed_references_give_the_same_answer(resource: dict[str, Any]) -> None:
    precomputed = visible(resource, patient="p1", refs=patient_references(resource))
    assert precomputed == visible(resource, patient="p1")


@pytest.mark.parametrize(
    ("shared", "resource_type", "shown"),
    [
        (DEFAULT_SHARED_TYPES, "Medication", True),
        (frozenset(), "Device", True),  # patient-bound, not shared: judged by its patient
        (frozenset(), "Medication", False),
        (frozenset({"Endpoint"}), "Endpoint", True),
        (frozenset({"Endpoint"}), "Practitioner", False),
        (frozenset({"Observation"}), "Observation", False),  # the compartment rule still wins
    ],
)
def test_shared_types_is_a_parameter(
    shared: frozenset[str], resource_type: str, shown: bool,
) -> None:
    assert visible(res(resource_type), patient="p1", shared_types=shared).visible is shown


def test_shared_and_excluded_types_stay_out_of_the_compartment_table() -> None:
    # Device is not an R4 Patient-compartment type (its patient is not a compartment param);
    # Group is, and is excluded on purpose.
    assert not ((DEFAULT_SHARED_TYPES | PATIENT_BOUND_TYPES) & PATIENT_COMPARTMENT.keys())
    assert EXCLUDED_TYPES <= PATIENT_COMPARTMENT.keys()


@pytest.mark.parametrize("resource_type", sorted(PATIENT_COMPARTMENT))
def test_every_compartment_type_needs_the_patient(resource_type: str) -> None:
    if resource_type in ("Patient", *EXCLUDED_TYPES):
        return
    assert not visible(res(resource_type), patient="p1").visible
    assert visible(res(resource_type, x=ref("Patient/p1")), patient="p1").visible
    assert not visible(res(resource_type, x=[ref("Patient/p1"), ref("Patient/p2")]),
                       patient="p1").visible


# ------------------------------------------------- names_other_patient (a batch's quick no)

@pytest.mark.parametrize(
    ("resource", "named"),
    [
        (obs(subject=ref("Patient/p2")), True),
        (obs(subject=ref("Patient/p1")), False),
        (obs(subject=ref("Patient/p10")), True),
        (res("Immunization", patient=ref("https://h/fhir/Patient/p2")), True),
        (obs(subject=ref("Patient/p2/_history/3")), True),
        (obs(subject=ref("Patient/p2") | {"type": "Group"}), True),  # uninterpretable: fails
        (obs(subject=ref("Patient%2Fp2")), True),
        (obs(subject=ref("Group/g1")), False),
        (obs(subject=ref("PATIENT/p2")), False),  # not known here; the full read refuses it
        (obs(subject=ref(7)), False),
        (obs(subject="Patient/p2"), False),
        (obs(subject=[ref("Patient/p2")]), False),
        (obs(performer=[ref("Patient/p2")]), False),  # only subject and patient are looked at
        (obs(), False),
    ],
)
def test_names_other_patient(resource: dict[str, Any], named: bool) -> None:
    assert names_other_patient(resource, "p1") is named
    if named:
        assert not visible(resource, patient="p1").visible


REFERENCES = st.sampled_from([
    "Patient/p1", "Patient/p2", "Patient/p10", "https://h/fhir/Patient/p2", "Patient%2Fp2",
    "Patient/p2/_history/1", "PATIENT/p2", "Group/g1", "#c1", UUID, "", 7, None,
])
NODES = st.fixed_dictionaries(
    {"reference": REFERENCES},
    optional={"type": st.sampled_from(["Patient", "Group"]), "display": st.just("x")})
ELEMENTS = st.one_of(NODES, st.lists(NODES, max_size=2), REFERENCES)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["Observation", "Immunization", "Device", "Medication", "Group"]),
       st.dictionaries(st.sampled_from(["subject", "patient", "performer", "contained"]),
                       ELEMENTS, max_size=3))
def test_a_resource_naming_another_patient_is_never_visible(
    resource_type: str, elements: dict[str, Any],
) -> None:
    resource = res(resource_type, **elements)
    if names_other_patient(resource, "p1"):
        assert not visible(resource, patient="p1").visible
