"""Searches before the call: narrowing to the patient in context, exact upstream params.

Each row: scopes, call, and either the exact final upstream params (allowed) or ``EMPTY``
(an empty searchset, upstream never called).  The patient in context is ``p1``.
"""

from __future__ import annotations

import pytest

from scopes.decision import Mismatch, Reason
from scopes.policy import decide
from tests.scopes.policy_calls import call, grant, judge

EMPTY = "EMPTY"
ALL = "patient/*.rs"
P1 = ("patient", "Patient/p1")
UUID = "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"

PATIENT_ROWS = [
    # --- the confining parameter is added or normalised
    (ALL, "GET Observation", (P1,)),
    (ALL, "HEAD Observation", (P1,)),
    (ALL, "GET Observation?code=1234-5", (("code", "1234-5"), P1)),
    (ALL, "GET Observation?patient=p1", (P1,)),
    (ALL, "GET Observation?patient=Patient/p1", (P1,)),
    (ALL, "GET Observation?patient=https://ehr.example/fhir/Patient/p1", (P1,)),
    (ALL, "GET Observation?patient=http://other.example/r4/Patient/p1/_history/7", (P1,)),
    (ALL, "GET Observation?patient=Patient/p1/_history/2", (P1,)),
    (ALL, "GET Observation?patient=Patient%2Fp1", (P1,)),
    (ALL, "GET Observation?patient=Patient%252Fp1", (P1,)),  # Patient%2Fp1 after one decode
    (ALL, "GET Observation?patient=%20p1%20", (P1,)),
    (ALL, "GET Observation?patient=p1,Patient/p1", (P1,)),
    (ALL, "GET Observation?patient=p1&patient=Patient/p1", (P1,)),
    (ALL, "GET Observation?subject=Patient/p1", (("subject", "Patient/p1"),)),
    (ALL, "GET Observation?subject=p1", (("subject", "Patient/p1"),)),
    (ALL, "GET Observation?subject:Patient=p1", (("subject", "Patient/p1"),)),
    (ALL, "GET Observation?subject:Patient=Patient/p1", (("subject", "Patient/p1"),)),
    (ALL, "GET Observation?patient=p1&code=x&patient=p1", (P1, ("code", "x"))),
    (ALL, "GET Observation?subject=Group/g1", (("subject", "Group/g1"), P1)),
    (ALL, "GET Observation?subject:Group=g1", (("subject:Group", "g1"), P1)),
    (ALL, "GET Observation?subject:Device=d1", (("subject:Device", "d1"), P1)),
    (ALL, "GET Observation?performer=Patient/p1", (("performer", "Patient/p1"), P1)),
    (ALL, "GET Observation?performer=Practitioner/d1", (("performer", "Practitioner/d1"), P1)),
    (ALL, "GET Observation?performer=Patient/p1,Practitioner/d1",
     (("performer", "Patient/p1,Practitioner/d1"), P1)),
    (ALL, "GET Observation?patient:identifier=http://mrn|123",
     (("patient:identifier", "http://mrn|123"), P1)),
    (ALL, "GET Observation?patient:missing=false", (("patient:missing", "false"), P1)),
    (ALL, "GET Observation?focus=Patient/p1", (("focus", "Patient/p1"), P1)),
    (ALL, "GET Observation?_id=o1,o2", (("_id", "o1,o2"), P1)),
    (ALL, "GET Observation?date=ge2020-01-01&date=lt2021", (
        ("date", "ge2020-01-01"), ("date", "lt2021"), P1)),
    (ALL, "GET Observation?code=http://loinc.org|8867-4&_count=5&_sort=-date", (
        ("code", "http://loinc.org|8867-4"), ("_count", "5"), ("_sort", "-date"), P1)),
    (ALL, "GET Observation?_include=Observation:patient", (("_include", "Observation:patient"), P1)),
    (ALL, "GET Observation?_include:iterate=Observation:subject",
     (("_include:iterate", "Observation:subject"), P1)),
    (ALL, "GET Observation?_revinclude:iterate=Provenance:target",
     (("_revinclude:iterate", "Provenance:target"), P1)),
    (ALL, "GET Observation?_include=*", (("_include", "*"), P1)),
    (ALL, "GET Observation?_format=json", (("_format", "json"), P1)),
    (ALL, "GET Observation?_format=application/fhir%2Bjson", (("_format", "application/fhir+json"), P1)),
    (ALL, "GET Observation?_total=accurate", (("_total", "accurate"), P1)),
    (ALL, "GET Observation?_summary=count", (("_summary", "count"), P1)),
    (ALL, "GET Observation?_summary=false", (("_summary", "false"), P1)),
    (ALL, "GET Observation?_summary=true", (P1,)),  # subsetting dropped: the post-check reads refs
    (ALL, "GET Observation?_summary=text", (P1,)),
    (ALL, "GET Observation?_elements=code,value", (P1,)),
    (ALL, "GET Observation?code:text=glucose", (("code:text", "glucose"), P1)),
    (ALL, "GET Observation?code:in=http://vs.example/vs", (("code:in", "http://vs.example/vs"), P1)),
    (ALL, "GET Observation?_list=$current-problems", (("_list", "$current-problems"), P1)),
    (ALL, "GET Observation?_tag=http://t|x&_lastUpdated=gt2020", (
        ("_tag", "http://t|x"), ("_lastUpdated", "gt2020"), P1)),
    # --- another patient anywhere: an empty searchset (never theirs, reveals nothing)
    (ALL, "GET Observation?patient=p2", EMPTY),
    (ALL, "GET Observation?patient=p10", EMPTY),  # the Patient/p10 prefix trap
    (ALL, "GET Observation?patient=Patient/p10", EMPTY),
    (ALL, "GET Observation?patient=P1", EMPTY),  # ids are case-sensitive
    (ALL, "GET Observation?patient=Patient/p1,Patient/p2", EMPTY),
    (ALL, "GET Observation?patient=p1,p2", EMPTY),
    (ALL, "GET Observation?patient=p1&patient=p2", EMPTY),
    (ALL, "GET Observation?patient=p2&patient=p1", EMPTY),
    (ALL, "GET Observation?patient=https://ehr.example/fhir/Patient/p2", EMPTY),
    (ALL, "GET Observation?patient=Patient/p2/_history/1", EMPTY),
    (ALL, "GET Observation?patient=Patient%2Fp2", EMPTY),
    (ALL, "GET Observation?patient=Patient%252Fp2", EMPTY),
    (ALL, "GET Observation?patient=Patient/p1/../p2", EMPTY),
    (ALL, "GET Observation?patient=Patient/p1/Patient/p2", EMPTY),
    (ALL, "GET Observation?patient=", EMPTY),
    (ALL, "GET Observation?patient=p1,", EMPTY),
    (ALL, f"GET Observation?patient={UUID}", EMPTY),
    (ALL, "GET Observation?patient=%23p1", EMPTY),  # a contained reference is no patient id
    (ALL, "GET Observation?subject=Patient/p2", EMPTY),
    (ALL, "GET Observation?subject=p2", EMPTY),  # a bare id may resolve to Patient/p2
    (ALL, "GET Observation?subject:Patient=p2", EMPTY),
    (ALL, "GET Observation?subject:Patient=Patient/p2", EMPTY),
    (ALL, "GET Observation?subject=Group/g1,Patient/p2", EMPTY),
    (ALL, "GET Observation?performer=Patient/p2", EMPTY),
    (ALL, "GET Observation?performer=d1", EMPTY),  # bare ids on compartment params: use Type/id
    (ALL, "GET Observation?focus=Patient/p2", EMPTY),
    (ALL, "GET Observation?focus=https://x.example/Patient/p2", EMPTY),
    (ALL, "GET Observation?code=Patient%252Fp2", EMPTY),
    (ALL, "GET Observation?code=x&patient=p2&_count=1", EMPTY),
    # --- other compartment types: the confining parameter each gets
    (ALL, "GET Condition?category=problem-list-item", (("category", "problem-list-item"), P1)),
    (ALL, "GET Condition?patient=p1&clinical-status=active", (P1, ("clinical-status", "active"))),
    (ALL, "GET Condition?asserter=Patient/p2", EMPTY),
    (ALL, "GET Condition?subject=Patient/p2", EMPTY),
    (ALL, "GET AllergyIntolerance", (P1,)),
    (ALL, "GET AllergyIntolerance?patient=p2", EMPTY),
    (ALL, "GET Encounter?date=gt2020", (("date", "gt2020"), P1)),
    (ALL, "GET MedicationRequest?intent=order&status=active",
     (("intent", "order"), ("status", "active"), P1)),
    (ALL, "GET MedicationRequest?subject=Patient/p1", (("subject", "Patient/p1"),)),
    (ALL, "GET DiagnosticReport?category=LAB", (("category", "LAB"), P1)),
    (ALL, "GET DocumentReference?type=x", (("type", "x"), P1)),
    (ALL, "GET Immunization", (P1,)),
    (ALL, "GET Procedure?date=2020", (("date", "2020"), P1)),
    (ALL, "GET Goal?lifecycle-status=active", (("lifecycle-status", "active"), P1)),
    (ALL, "GET CarePlan?category=assess-plan", (("category", "assess-plan"), P1)),
    (ALL, "GET CareTeam?status=active", (("status", "active"), P1)),
    (ALL, "GET Device?type=x", (("type", "x"), P1)),
    (ALL, "GET Device?patient=p2", EMPTY),
    (ALL, "GET Coverage", (P1,)),
    (ALL, "GET Provenance?target=Observation/o1", (("target", "Observation/o1"), P1)),
    (ALL, "GET QuestionnaireResponse", (("subject", "Patient/p1"),)),
    (ALL, "GET Specimen", (("subject", "Patient/p1"),)),
    (ALL, "GET RelatedPerson", (P1,)),
    (ALL, "GET Appointment", (("actor", "Patient/p1"),)),
    (ALL, "GET Schedule?actor=Patient/p2", EMPTY),
    (ALL, "GET Group", (("member", "Patient/p1"),)),
    (ALL, "GET ResearchSubject", (("individual", "Patient/p1"),)),
    (ALL, "GET Account", (("subject", "Patient/p1"),)),
    # --- Patient itself: _id=p1, intersected with the app's _id
    (ALL, "GET Patient", (("_id", "p1"),)),
    (ALL, "GET Patient?name=smith", (("name", "smith"), ("_id", "p1"))),
    (ALL, "GET Patient?_id=p1", (("_id", "p1"),)),
    (ALL, "GET Patient?_id=p2,p1", (("_id", "p1"),)),
    (ALL, "GET Patient?_id=p2", EMPTY),
    (ALL, "GET Patient?_id=p10", EMPTY),
    (ALL, "GET Patient?_id=p1&_id=p2", EMPTY),
    (ALL, "GET Patient?identifier=http://mrn|1", (("identifier", "http://mrn|1"), ("_id", "p1"))),
    (ALL, "GET Patient?link=Patient/p2", EMPTY),
    (ALL, "GET Patient?general-practitioner=Practitioner/d1",
     (("general-practitioner", "Practitioner/d1"), ("_id", "p1"))),
    (ALL, "GET Patient?_revinclude=Observation:subject",
     (("_revinclude", "Observation:subject"), ("_id", "p1"))),
    # --- compartment searches stay compartment searches; another patient's are empty
    (ALL, "GET Patient/p1/Observation", ()),
    (ALL, "HEAD Patient/p1/Observation", ()),
    (ALL, "HEAD Patient/p2/Observation", EMPTY),
    (ALL, "GET Patient/p1/Observation?code=x", (("code", "x"),)),
    (ALL, "GET Patient/p1/Observation?subject=p1", (("subject", "Patient/p1"),)),
    (ALL, "GET Patient/p1/Observation?patient=p2", EMPTY),
    (ALL, "GET Patient/p1/Observation?performer=Patient/p2", EMPTY),
    (ALL, "GET Patient/p2/Observation", EMPTY),
    (ALL, "GET Patient/p10/Observation", EMPTY),
    (ALL, "GET Patient/P1/Condition", EMPTY),
    (ALL, "GET Patient/p1/*", ()),
    (ALL, "GET Patient/p1/*?_lastUpdated=gt2020", (("_lastUpdated", "gt2020"),)),
    (ALL, "GET Patient/p2/*", EMPTY),
    (ALL, "POST Patient/p1/Observation/_search", ()),
    (ALL, "POST Patient/p2/Observation/_search", EMPTY),
    ("patient/Observation.rs", "GET Patient/p1/Observation", ()),
    # --- shared types outside the compartment: searched as they are
    (ALL, "GET Practitioner?name=smith", (("name", "smith"),)),
    (ALL, "GET Organization", ()),
    (ALL, "GET Location?address-city=Boston", (("address-city", "Boston"),)),
    (ALL, "GET Medication?code=x", (("code", "x"),)),
    # --- $lastn is an Observation search
    (ALL, "GET Observation/$lastn?category=vital-signs&max=3",
     (("category", "vital-signs"), ("max", "3"), P1)),
    (ALL, "GET Observation/$lastn?patient=p2", EMPTY),
]

@pytest.mark.parametrize(("scopes", "text", "expected"), PATIENT_ROWS)
def test_patient_search_narrowing(scopes: str, text: str, expected: object) -> None:
    decision = judge(scopes, text)
    if expected == EMPTY:
        assert decision.allowed and decision.reason is Reason.EMPTY_RESULT, decision
        assert decision.mutations.empty_result and decision.mutations.params == ()
        assert decision.status == 200
        return
    assert decision.reason is Reason.ALLOWED, decision.message
    assert decision.mutations.params == expected
    assert not decision.mutations.empty_result and not decision.not_found
    checks = decision.post_checks
    assert checks.confine_to_patient == "p1"
    assert checks.letter == "s" and checks.on_mismatch is Mismatch.DROP
    assert checks.strip_total


@pytest.mark.parametrize("form", [
    (("patient", "p2"),),
    (("subject", "Patient/p2"),),
    (("code", "x"), ("patient", "Patient/p1,Patient/p2")),
])
def test_post_search_form_body_is_narrowed_like_a_query(form: tuple) -> None:
    request = call("POST Observation/_search", form=form)
    decision = decide(grant(ALL), request)
    assert decision.mutations.empty_result


def test_post_search_form_and_query_are_combined() -> None:
    request = call("POST Observation/_search?_count=5", form=(("code", "x"),))
    decision = decide(grant(ALL), request)
    assert decision.mutations.params == (("_count", "5"), ("code", "x"), P1)
