"""Compartment search and the R4 Patient compartment table."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from scopes.compartment import PATIENT_COMPARTMENT
from smart_proxy.sandbox import SandboxStore
from smart_proxy.sandbox.params import ParamType, lookup
from smart_proxy.sandbox.resource_types import RESOURCE_TYPES

from .support import all_pages, get_json, issue, keys


def test_table_covers_r4_compartment_types_with_known_parameters() -> None:
    assert set(PATIENT_COMPARTMENT) <= RESOURCE_TYPES
    assert len(PATIENT_COMPARTMENT) == 66
    assert PATIENT_COMPARTMENT["Observation"] == ("subject", "performer")
    assert PATIENT_COMPARTMENT["Patient"] == ("link",)
    assert "Practitioner" not in PATIENT_COMPARTMENT and "Binary" not in PATIENT_COMPARTMENT
    for resource_type, names in PATIENT_COMPARTMENT.items():
        for name in names:
            param = lookup(resource_type, name)
            assert param is not None and param.type is ParamType.REFERENCE, (resource_type, name)


@pytest.mark.parametrize(("resource_type", "link_param"), [
    ("Observation", "patient"), ("Condition", "patient"), ("Encounter", "patient"),
    ("MedicationRequest", "patient"), ("AllergyIntolerance", "patient"),
    ("Immunization", "patient"), ("Procedure", "patient"), ("DiagnosticReport", "patient"),
    ("DocumentReference", "patient"), ("CarePlan", "patient"), ("Goal", "patient"),
    ("Provenance", "patient"), ("RelatedPerson", "patient"),
])
async def test_compartment_search_equals_patient_search(client: TestClient, resource_type: str,
                                                        link_param: str) -> None:
    for patient in ("p1", "p2", "p6"):
        _, in_compartment = await all_pages(client, f"/fhir/Patient/{patient}/{resource_type}")
        _, by_param = await all_pages(client, f"/fhir/{resource_type}?{link_param}={patient}")
        assert [e["fullUrl"] for e in in_compartment] == [e["fullUrl"] for e in by_param]


async def test_compartment_search_takes_further_parameters(client: TestClient) -> None:
    narrowed = await get_json(client, "/fhir/Patient/p1/Observation?category=laboratory")
    plain = await get_json(client, "/fhir/Observation?patient=p1&category=laboratory")
    assert keys(narrowed) == keys(plain) and narrowed["total"] > 0
    assert narrowed["link"][0]["url"].split("/fhir/")[1].startswith(
        "Patient/p1/Observation?category=laboratory")


async def test_performer_puts_patient_reported_data_in_the_compartment(
        client: TestClient, sandbox_store: SandboxStore) -> None:
    sandbox_store.put({"resourceType": "Observation", "id": "reported", "status": "final",
                       "code": {"text": "steps"}, "subject": {"reference": "Group/g1"},
                       "performer": [{"reference": "Patient/p1"}]})
    bundle = await get_json(client, "/fhir/Patient/p1/Observation?_id=reported")
    assert keys(bundle) == ["Observation/reported"]
    assert keys(await get_json(client, "/fhir/Observation?patient=p1&_id=reported")) == []


async def test_patient_compartment_of_patient_and_wildcard(client: TestClient) -> None:
    assert keys(await get_json(client, "/fhir/Patient/p1/Patient")) == ["Patient/p1"]
    everything = await get_json(client, "/fhir/Patient/p2/*?_count=200")
    found = set(keys(everything))
    assert {"Patient/p2", "RelatedPerson/rp-p2-1"} <= found
    assert all(not k.startswith(("Practitioner/", "Medication/", "Binary/")) for k in found)
    assert not any(k == "Patient/p1" for k in found)


async def test_types_outside_the_compartment_are_refused(client: TestClient) -> None:
    body = await get_json(client, "/fhir/Patient/p1/Practitioner", status=400)
    assert "not in the Patient compartment" in issue(body)["diagnostics"]


async def test_other_types_use_their_compartment_parameters(client: TestClient,
                                                            sandbox_store: SandboxStore) -> None:
    sandbox_store.put({"resourceType": "Consent", "id": "c1", "status": "active",
                       "scope": {"text": "patient-privacy"}, "category": [{"text": "x"}],
                       "patient": {"reference": "Patient/p1"}})
    sandbox_store.put({"resourceType": "Appointment", "id": "a1", "status": "booked",
                       "participant": [{"actor": {"reference": "Patient/p1"},
                                        "status": "accepted"}]})
    assert keys(await get_json(client, "/fhir/Patient/p1/Consent")) == ["Consent/c1"]
    assert keys(await get_json(client, "/fhir/Consent?patient=p1")) == ["Consent/c1"]
    assert keys(await get_json(client, "/fhir/Patient/p1/Appointment")) == ["Appointment/a1"]
    assert keys(await get_json(client, "/fhir/Patient/p2/Appointment")) == []
