"""scopes.patient_refs: every Patient reference anywhere in a resource, and what is unclear.

The fast text scan (scopes.reference_scan) must agree with the exact walk on any input.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopes.patient_refs import (
    PatientRefs,
    _walk,
    patient_references,
    patient_references_batch,
)

UUID = "urn:uuid:98e27e8b-0e0a-4b8f-a444-6e37e003049c"


def obs(**elements: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o1", "status": "final", **elements}


def ref(value: object, **more: Any) -> dict[str, Any]:
    return {"reference": value, **more}


# (name, resource, ids, number of uninterpretable, number of embedded patients)
CASES: list[tuple[str, dict[str, Any], set[str], int, int]] = [
    ("no references", obs(), set(), 0, 0),
    ("subject", obs(subject=ref("Patient/p1")), {"p1"}, 0, 0),
    ("subject with display", obs(subject=ref("Patient/p1", display="Amy")), {"p1"}, 0, 0),
    ("non-patient refs only", obs(encounter=ref("Encounter/e1"),
                                  performer=[ref("Practitioner/d1")]), set(), 0, 0),
    ("performer other patient", obs(subject=ref("Patient/p1"),
                                    performer=[ref("Patient/p2")]), {"p1", "p2"}, 0, 0),
    ("absolute", obs(subject=ref("https://ehr.example/fhir/Patient/p1")), {"p1"}, 0, 0),
    ("absolute other server", obs(subject=ref("https://elsewhere/fhir/Patient/p2")), {"p2"}, 0, 0),
    ("versioned", obs(subject=ref("Patient/p1/_history/2")), {"p1"}, 0, 0),
    ("percent-encoded", obs(subject=ref("Patient%2Fp1")), {"p1"}, 0, 0),
    ("whitespace", obs(subject=ref(" Patient/p1 ")), {"p1"}, 0, 0),
    ("prefix trap", obs(subject=ref("Patient/p10")), {"p10"}, 0, 0),
    ("same patient twice", obs(subject=ref("Patient/p1"),
                               performer=[ref("https://h/Patient/p1")]), {"p1"}, 0, 0),
    ("deep backbone", {"resourceType": "CareTeam", "participant": [
        {"member": ref("Patient/p2"), "role": [{"text": "x"}]}]}, {"p2"}, 0, 0),
    ("extension valueReference", obs(subject=ref("Patient/p1"), extension=[
        {"url": "http://x/ext", "valueReference": ref("Patient/p3")}]), {"p1", "p3"}, 0, 0),
    ("nested extension", obs(extension=[{"url": "u", "extension": [
        {"url": "v", "valueReference": ref("Patient/p4")}]}]), {"p4"}, 0, 0),
    ("primitive extension", obs(_status={"extension": [
        {"url": "u", "valueReference": ref("Patient/p5")}]}), {"p5"}, 0, 0),
    ("contained resource refs", obs(contained=[{"resourceType": "Observation", "id": "c",
                                                "subject": ref("Patient/p6")}],
                                    hasMember=[ref("#c")]), {"p6"}, 0, 0),
    ("contained patient", obs(contained=[{"resourceType": "Patient", "id": "cp"}],
                              subject=ref("#cp")), set(), 0, 1),
    ("contained patient unreferenced", obs(subject=ref("Patient/p1"), contained=[
        {"resourceType": "Patient", "id": "cp"}]), {"p1"}, 0, 1),
    ("dangling local ref", obs(subject=ref("#nobody")), set(), 1, 0),
    ("container self ref", obs(subject=ref("Patient/p1"), focus=[ref("#")]), {"p1"}, 0, 0),
    ("urn uuid", obs(subject=ref(UUID)), set(), 1, 0),
    ("malformed", obs(subject=ref("patient/p1")), set(), 1, 0),
    ("empty string", obs(subject=ref("")), set(), 1, 0),
    ("non-string", obs(subject=ref(5)), set(), 1, 0),
    ("null", obs(subject=ref(None)), set(), 0, 0),
    ("query reference", obs(subject=ref("Patient?identifier=mrn|1")), set(), 1, 0),
    ("type contradicts", obs(subject=ref("Patient/p1", type="Group")), set(), 1, 0),
    ("type agrees", obs(subject=ref("Patient/p1", type="Patient")), {"p1"}, 0, 0),
    ("type as URL", obs(subject=ref("Patient/p1",
                                    type="http://hl7.org/fhir/StructureDefinition/Patient")),
     {"p1"}, 0, 0),
    ("logical by identifier", obs(subject={"type": "Patient", "identifier": {"value": "9"}}),
     set(), 1, 0),
    ("logical by display", obs(subject={"type": "Patient", "display": "Bob"}), set(), 1, 0),
    ("logical other type", obs(performer=[{"type": "Practitioner", "identifier": {}}]),
     set(), 0, 0),
    ("reference element holding a Reference", {"resourceType": "Consent", "provision": {
        "data": [{"meaning": "related", "reference": ref("Patient/p7")}]}}, {"p7"}, 0, 0),
    ("key with a quote", obs(**{'x"reference': "Patient/p1"}), set(), 0, 0),
    ("quote in value", obs(subject=ref('Patient/p1"')), set(), 1, 0),
    ("backslash in value", obs(subject=ref("Patient\\p1")), set(), 1, 0),
    ("separator text as value", obs(subject=ref("<smart-proxy: next resource>"),
                                    performer=[ref("Patient/p2")]), {"p2"}, 1, 0),
    ("nested bundle patient", {"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p9"}}]}, set(), 0, 1),
    ("patient root link", {"resourceType": "Patient", "id": "p1", "link": [
        {"other": ref("Patient/p2"), "type": "seealso"}]}, {"p2"}, 0, 0),
    ("narrative with quotes", obs(text={"div": '<div xmlns="http://www.w3.org/1999/xhtml">'
                                               '"reference":"Patient/p2"</div>'},
                                  subject=ref("Patient/p1")), {"p1"}, 0, 0),
    ("list of lists", obs(x=[[ref("Patient/p8")]]), {"p8"}, 0, 0),
]


@pytest.mark.parametrize(
    ("resource", "ids", "unclear", "embedded"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_patient_references_found_anywhere(
    resource: dict[str, Any], ids: set[str], unclear: int, embedded: int,
) -> None:
    found = patient_references(resource)
    assert found.ids == ids
    assert len(found.uninterpretable) == unclear
    assert len(found.embedded_patients) == embedded
    assert found.clean is (unclear == 0 and embedded == 0)
    assert _same(patient_references_batch([resource])[0], found)


def test_batch_agrees_with_one_by_one() -> None:
    resources = [c[1] for c in CASES]
    for single, batched in zip(map(patient_references, resources),
                               patient_references_batch(resources), strict=True):
        assert _same(single, batched)


@pytest.mark.parametrize(
    ("refs", "patient", "only", "none_but"),
    [
        (PatientRefs(frozenset({"p1"})), "p1", True, True),
        (PatientRefs(frozenset()), "p1", False, True),
        (PatientRefs(frozenset({"p1", "p2"})), "p1", False, False),
        (PatientRefs(frozenset({"p2"})), "p1", False, False),
        (PatientRefs(frozenset({"p1"}), ("'x'",)), "p1", False, False),
        (PatientRefs(frozenset({"p1"}), (), ("c",)), "p1", False, False),
    ],
)
def test_only_and_none_but(refs: PatientRefs, patient: str, only: bool, none_but: bool) -> None:
    assert refs.only(patient) is only
    assert refs.none_but(patient) is none_but


def _same(a: PatientRefs, b: PatientRefs) -> bool:
    return (a.ids, sorted(a.uninterpretable), sorted(a.embedded_patients)) == (
        b.ids, sorted(b.uninterpretable), sorted(b.embedded_patients))


REFERENCE_VALUES = st.sampled_from([
    "Patient/p1", "Patient/p2", "Patient/p10", "https://h/fhir/Patient/p1", "Patient%2Fp2",
    " Patient/p1", "Patient/p1/_history/1", "Encounter/e1", "Practitioner/d", "#c1", "#",
    "#zz", UUID, "patient/p1", "", 'Patient/"p2', "Patient\\p2", "<smart-proxy: next resource>",
    "PATIENT/p2", "PaTiEnT/p2", "https://h/Patient/p2", 7, None, {"reference": "Patient/p2"},
])
KEYS = st.sampled_from([
    "reference", "type", "subject", "performer", "extension", "valueReference", "contained",
    "resourceType", "id", "identifier", "display", "text", 'x"reference', "reference\\",
])
LEAVES = st.one_of(REFERENCE_VALUES, st.sampled_from(
    ["Patient", "Group", "Observation", "c1", 'say "reference":"Patient/p2"', "\\", "x"]),
    st.integers(-3, 3), st.booleans())
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEYS, children, max_size=5),
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(KEYS, TREES, max_size=6))
def test_text_scan_agrees_with_exact_walk(resource: dict[str, Any]) -> None:
    resource = {"resourceType": "Observation", **resource}
    assert _same(patient_references(resource), _walk(resource))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(KEYS, TREES, max_size=4), max_size=6))
def test_batch_scan_agrees_with_exact_walk(resources: list[dict[str, Any]]) -> None:
    for resource, batched in zip(resources, patient_references_batch(resources), strict=True):
        assert _same(batched, _walk(resource))
