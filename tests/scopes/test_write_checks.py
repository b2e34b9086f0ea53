"""The body rule and the stored-version check of writes (``scopes.write_checks``), as tables."""

from __future__ import annotations

from typing import Any

import pytest

from scopes import ScopeSet
from scopes.labels import DEFAULT_WITHHELD, V3_ACT_CODE
from scopes.write_checks import check_body, stored_passes, transaction_targets
from tests.scopes.policy_calls import LAB, OBS_CAT

LAB_FILTER = ScopeSet.from_strings([f"patient/Observation.cu?category={LAB}"]).filters_for(
    "Observation", "c", ("patient",))
URN_OBS = "urn:uuid:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
URN_PAT = "urn:uuid:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
URN_NONE = "urn:uuid:00000000-0000-4000-8000-000000000000"
INTERNAL = {URN_OBS: "Observation", URN_PAT: "Patient"}


def obs(subject: str | None = "p1", **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"resourceType": "Observation", "id": "o1", **extra}
    if subject is not None:
        found["subject"] = {"reference": f"Patient/{subject}"}
    return found


def ref(value: str) -> dict[str, str]:
    return {"reference": value}


LAB_CATEGORY = [{"coding": [{"system": OBS_CAT, "code": "laboratory"}]}]

# resource, keyword arguments, status, a fragment of the message
BODIES = [
    (obs(), {}, 200, ""),
    (obs("p2"), {"patient": None}, 200, ""),  # no body rule: user/ and system/ grants
    ("not a resource", {}, 400, "Observation resource"),
    ({"resourceType": "Condition", "subject": ref("Patient/p1")}, {}, 400, "Observation resource"),
    (obs(), {"resource_id": "o2"}, 400, "id in the URL"),
    ({**obs(), "id": None}, {"resource_id": "o1"}, 400, "id in the URL"),
    (obs(), {"resource_id": "o1"}, 200, ""),
    # another patient, anywhere
    (obs("p2"), {}, 403, "other than the patient"),
    (obs("p10"), {}, 403, "other than the patient"),
    (obs(performer=[ref("Patient/p2")]), {}, 403, "other than the patient"),
    (obs(focus=[ref("https://elsewhere.example/fhir/Patient/p2/_history/3")]), {}, 403, "other"),
    (obs(extension=[{"url": "x", "valueReference": ref("Patient/p2")}]), {}, 403, "other"),
    (obs(component=[{"extension": [{"url": "x", "extension": [
        {"url": "y", "valueReference": ref("Patient/p2")}]}]}]), {}, 403, "other"),
    (obs(contained=[obs("p2", id="c1")], hasMember=[ref("#c1")]), {}, 403, "other"),
    (obs(performer=[{"reference": "Patient/p2", "type": "Patient"}]), {}, 403, "other"),
    # what cannot be interpreted
    (obs(performer=[{"type": "Patient", "identifier": {"value": "mrn"}}]), {}, 400, "logical"),
    (obs(performer=[{"type": "Patient", "display": "Someone"}]), {}, 400, "logical"),
    # a logical reference without a type could name any patient, even next to P
    ({**obs(), "subject": {"identifier": {"system": "urn:mrn", "value": "MRN-OF-P2"}},
      "performer": [ref("Patient/p1")]}, {}, 400,
     "subject is a logical reference (identifier or display, no literal reference)"),
    (obs(performer=[{"display": "Theo Lindqvist"}]), {}, 400, "performer[0] is a logical"),
    (obs(focus=[{"identifier": {"value": "x"},
                 "type": "http://hl7.org/fhir/StructureDefinition/Patient"}]), {}, 400, "logical"),
    (obs(extension=[{"url": "x", "valueReference": {"identifier": {"value": "x"}}}]), {}, 400,
     "extension[0].valueReference is a logical"),
    (obs(contained=[{"resourceType": "Observation", "id": "c1", "status": "final",
                     "subject": {"identifier": {"value": "x"}}}], hasMember=[ref("#c1")]), {},
     400, "contained[0].subject is a logical"),
    (obs(performer=[{"type": "Organization", "identifier": {"value": "lab-1"}}]), {}, 200, ""),
    (obs(performer=[{"type": "Practitioner", "display": "Dr X"}]), {}, 200, ""),
    (obs(identifier=[{"value": "1", "assigner": {"type": "Organization", "display": "Lab"}}]),
     {}, 200, ""),
    (obs(code={"coding": [{"system": "http://loinc.org", "code": "1", "display": "x"}]}), {},
     200, ""),
    (obs(performer=[{"display": "Someone"}]), {"patient": None}, 200, ""),  # no body rule
    (obs(contained=[{"resourceType": "Patient", "id": "x"}], performer=[ref("#x")]), {}, 400,
     "embeds a Patient"),
    (obs(performer=[ref("#nowhere")]), {}, 400, "'#nowhere' names no contained resource"),
    (obs(performer=[ref("Patient/ p1")]), {}, 400, "cannot be interpreted"),
    (obs(performer=[ref("Patient?identifier=x")]), {}, 400, "cannot be interpreted"),
    (obs(performer=[ref(URN_OBS)]), {}, 400, "only meaningful inside a transaction"),
    # transaction-internal references
    (obs(performer=[ref(URN_OBS)]), {"internal": INTERNAL}, 200, ""),
    (obs(performer=[ref(URN_OBS.upper().replace("URN:UUID:", "urn:uuid:"))]),
     {"internal": INTERNAL}, 200, ""),
    ({**obs(), "subject": ref(URN_PAT)}, {"internal": INTERNAL}, 403, "other than the patient"),
    (obs(performer=[ref(URN_PAT)]), {"internal": INTERNAL}, 403, "other than the patient"),
    (obs(performer=[ref(URN_NONE)]), {"internal": INTERNAL}, 400, "names no entry"),
    # the compartment
    (obs(None), {}, 403, "not in the compartment"),
    ({**obs(), "subject": ref("Group/g1")}, {}, 403, "not in the compartment"),
    ({"resourceType": "Group", "member": [{"entity": ref("Patient/p1")}]},
     {"resource_type": "Group"}, 403, "not in the compartment"),
    ({"resourceType": "Device", "patient": ref("Patient/p1")}, {"resource_type": "Device"}, 200, ""),
    ({"resourceType": "Device"}, {"resource_type": "Device"}, 403, "not in the compartment"),
    ({"resourceType": "Patient", "id": "p1"}, {"resource_type": "Patient"}, 200, ""),
    ({"resourceType": "Patient", "id": "p2"}, {"resource_type": "Patient"}, 403, "compartment"),
    ({"resourceType": "Patient", "id": "p1", "link": [{"other": ref("Patient/p2")}]},
     {"resource_type": "Patient"}, 403, "other than the patient"),
    # granular filters of the write scope
    (obs(), {"granular": LAB_FILTER}, 403, "filters"),
    (obs(category=LAB_CATEGORY), {"granular": LAB_FILTER}, 200, ""),
    (obs("p2", category=LAB_CATEGORY), {"granular": LAB_FILTER, "patient": None}, 200, ""),
]


@pytest.mark.parametrize(("resource", "kwargs", "status", "fragment"), BODIES)
def test_check_body(resource: Any, kwargs: dict[str, Any], status: int, fragment: str) -> None:
    arguments = {"resource_type": "Observation", "patient": "p1", **kwargs}
    verdict = check_body(resource, **arguments)
    assert verdict.status == status, verdict.message
    assert verdict.ok is (status == 200)
    assert fragment in verdict.message


PSY = {"meta": {"security": [{"system": V3_ACT_CODE, "code": "PSY"}]}}

# resource, keyword arguments, passes
STORED = [
    (obs(), {}, True),
    (obs("p2"), {}, False),
    (obs(performer=[ref("Patient/p2")]), {}, False),
    (obs(None), {}, False),
    (obs(performer=[{"type": "Patient", "identifier": {"value": "mrn"}}]), {}, False),
    (obs(performer=[{"identifier": {"value": "mrn"}}]), {}, True),  # the body rule only
    (obs(), {"resource_type": "Condition"}, False),
    (obs(), {"resource_id": "o2"}, False),
    (obs(), {"resource_id": "o1"}, True),
    ("not a resource", {}, False),
    (obs(**PSY), {}, True),
    (obs(**PSY), {"withheld_labels": DEFAULT_WITHHELD}, False),
    (obs(), {"withheld_labels": DEFAULT_WITHHELD}, True),
    (obs(), {"granular": LAB_FILTER}, False),
    (obs(category=LAB_CATEGORY), {"granular": LAB_FILTER}, True),
    ({"resourceType": "Patient", "id": "p1"}, {"resource_type": "Patient"}, True),
    ({"resourceType": "Patient", "id": "p2"}, {"resource_type": "Patient"}, False),
    ({"resourceType": "Device"}, {"resource_type": "Device"}, False),
    ({"resourceType": "Device", "patient": ref("Patient/p1")}, {"resource_type": "Device"}, True),
    (obs("p2"), {"patient": None}, True),
    (obs("p2"), {"patient": None, "granular": LAB_FILTER}, False),
]


@pytest.mark.parametrize(("resource", "kwargs", "passes"), STORED)
def test_stored_passes(resource: Any, kwargs: dict[str, Any], passes: bool) -> None:
    arguments = {"resource_type": "Observation", "patient": "p1", **kwargs}
    assert stored_passes(resource, **arguments) is passes


def test_transaction_targets() -> None:
    entries = [
        {"fullUrl": URN_OBS.upper().replace("URN:UUID:", "urn:uuid:"), "resource": obs()},
        {"fullUrl": URN_PAT, "resource": {"resourceType": "Patient"}},
        {"fullUrl": "https://ehr.example/fhir/Observation/o9", "resource": obs()},
        {"fullUrl": URN_NONE},
        {"fullUrl": "urn:uuid:not-a-uuid", "resource": obs()},
        "junk",
    ]
    assert transaction_targets(entries) == INTERNAL
    assert transaction_targets({"not": "a list"}) == {}
    twice = [{"fullUrl": URN_OBS, "resource": obs()},
             {"fullUrl": URN_OBS, "resource": {"resourceType": "Patient"}}]
    assert transaction_targets(twice) == {}
    verdict = check_body(obs(performer=[ref(URN_OBS)]), resource_type="Observation",
                         patient="p1", internal=transaction_targets(twice))
    assert verdict.status == 400 and "names no entry" in verdict.message
