"""``_include`` / ``_revinclude``, including ``:iterate`` and ``*``."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import SandboxStore

from .support import get_json, keys


async def test_include_patient_of_observations(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir/Observation?patient=p2&_include=Observation:patient"
                                    "&_count=200")
    assert keys(bundle, "include") == ["Patient/p2"]
    assert bundle["total"] == len(keys(bundle))  # total counts matches only
    assert bundle["entry"][-1]["search"] == {"mode": "include"}


async def test_include_with_target_type_and_wildcard(client: TestClient) -> None:
    typed = await get_json(
        client, "/fhir/Observation?patient=p1&_include=Observation:performer:Organization")
    assert keys(typed, "include") == ["Organization/org-2"]
    everything = await get_json(client, "/fhir/Encounter?_id=enc-p1-1&_include=Encounter:*")
    assert set(keys(everything, "include")) >= {"Patient/p1", "Location/loc-1",
                                                 "Organization/org-1"}
    star = await get_json(client, "/fhir/Encounter?_id=enc-p1-1&_include=*")
    assert set(keys(star, "include")) == set(keys(everything, "include"))


async def test_medication_and_iterated_manufacturer(client: TestClient) -> None:
    plain = await get_json(client, "/fhir/MedicationRequest?patient=p1"
                                   "&_include=MedicationRequest:medication")
    assert set(keys(plain, "include")) == {"Medication/med-1", "Medication/med-2"}
    non_iterating = await get_json(client, "/fhir/MedicationRequest?patient=p1"
                                           "&_include=MedicationRequest:medication"
                                           "&_include=Medication:manufacturer")
    assert "Organization/org-3" not in keys(non_iterating, "include")
    iterated = await get_json(client, "/fhir/MedicationRequest?patient=p1"
                                      "&_include=MedicationRequest:medication"
                                      "&_include:iterate=Medication:manufacturer")
    assert set(keys(iterated, "include")) == {"Medication/med-1", "Medication/med-2",
                                              "Organization/org-3"}


async def test_encounter_subject(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir/Encounter?patient=p4&_include=Encounter:subject")
    assert keys(bundle, "include") == ["Patient/p4"]


async def test_revinclude_provenance(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir/DocumentReference?patient=p1"
                                    "&_revinclude=Provenance:target")
    provenance = keys(bundle, "include")
    assert provenance and all(k.startswith("Provenance/") for k in provenance)
    for key in provenance:
        target = await get_json(client, f"/fhir/{key}")
        assert target["target"][0]["reference"].startswith("DocumentReference/")
    patients = await get_json(client, "/fhir/Patient?_id=p1&_revinclude=Provenance:patient")
    assert keys(patients, "include") == ["Provenance/prov-p1-1"]


async def test_revinclude_then_iterated_include(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir/Patient?_id=p1&_revinclude=Provenance:patient"
                                    "&_include:iterate=Provenance:agent")
    assert keys(bundle, "include")[0] == "Provenance/prov-p1-1"
    assert any(k.startswith("Practitioner/") for k in keys(bundle, "include"))


async def test_iterate_terminates_on_reference_cycles(client: TestClient,
                                                      sandbox_store: SandboxStore) -> None:
    sandbox_store.put({"resourceType": "Observation", "id": "a", "status": "final",
                       "code": {"text": "a"}, "hasMember": [{"reference": "Observation/b"}]})
    sandbox_store.put({"resourceType": "Observation", "id": "b", "status": "final",
                       "code": {"text": "b"}, "hasMember": [{"reference": "Observation/a"}]})
    bundle = await get_json(client, "/fhir/Observation?_id=a"
                                    "&_include:iterate=Observation:has-member")
    assert keys(bundle) == ["Observation/a"] and keys(bundle, "include") == ["Observation/b"]


async def test_included_resources_are_not_repeated(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir/Observation?patient=p1&_count=200"
                                    "&_include=Observation:patient&_include=Observation:subject")
    assert keys(bundle, "include") == ["Patient/p1"]
    deleted = await client.delete("/fhir/Medication/med-1")
    assert deleted.status == 204
    after = await get_json(client, "/fhir/MedicationRequest?patient=p1"
                                   "&_include=MedicationRequest:medication")
    assert keys(after, "include") == ["Medication/med-2"]
