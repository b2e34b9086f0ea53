"""``Patient/$everything``."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import generate

from .support import all_pages, get_json, issue, keys

DATA = generate(42, 8)


def chart_of(patient_id: str) -> set[str]:
    """What $everything must hold, computed from the generated data."""
    mine = {f"Patient/{patient_id}"}
    for resource in DATA:
        subject = resource.get("subject") or resource.get("patient") or {}
        provenance_targets = {t["reference"] for t in resource.get("target", [])} \
            if resource["resourceType"] == "Provenance" else set()
        members = {m["entity"]["reference"] for m in resource.get("member", [])} \
            if resource["resourceType"] == "Group" else set()
        if subject.get("reference") == f"Patient/{patient_id}" or \
                f"Patient/{patient_id}" in provenance_targets | members:
            mine.add(f"{resource['resourceType']}/{resource['id']}")
    return mine


async def test_everything_holds_the_chart_and_what_it_references(client: TestClient) -> None:
    pages, matches = await all_pages(client, "/fhir/Patient/p1/$everything?_count=25")
    entries = [e for page in pages for e in page.get("entry", [])]
    found = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries]
    assert len(found) == len(set(found)) == pages[0]["total"]
    assert found[0] == "Patient/p1"
    matched = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in matches}
    assert matched == chart_of("p1")
    included = set(found) - matched
    assert {"Practitioner/prac-1", "Organization/org-1", "Location/loc-1",
            "Medication/med-1"} <= included
    assert all(k.split("/")[0] in ("Practitioner", "Organization", "Location", "Medication")
               for k in included)
    assert not any(k.startswith("Patient/") and k != "Patient/p1" for k in found)


async def test_everything_filters_by_type_and_since(client: TestClient) -> None:
    typed = await get_json(client, "/fhir/Patient/p2/$everything?_type=Patient,RelatedPerson")
    assert keys(typed) == ["Patient/p2", "RelatedPerson/rp-p2-1"]
    chart = await get_json(client, "/fhir/Patient/p2/$everything?_count=200")
    stamps = sorted(e["resource"]["meta"]["lastUpdated"] for e in chart["entry"])
    since = stamps[-5]
    body = await get_json(client, f"/fhir/Patient/p2/$everything?_since={since}&_count=200")
    assert sorted(e["resource"]["meta"]["lastUpdated"] for e in body["entry"]) == \
        [s for s in stamps if s >= since]


async def test_everything_errors(client: TestClient) -> None:
    await get_json(client, "/fhir/Patient/nobody/$everything", status=404)
    body = await get_json(client, "/fhir/Patient/p1/$everything?_type=Nope", status=400)
    assert "Nope" in issue(body)["diagnostics"]
    await get_json(client, "/fhir/Patient/p1/$everything?start=2020", status=400)
    await get_json(client, "/fhir/Observation/obs-p1-1/$everything", status=400)
    await get_json(client, "/fhir/Patient/$everything", status=400)
    deleted = await client.delete("/fhir/Patient/p8")
    assert deleted.status == 204
    await get_json(client, "/fhir/Patient/p8/$everything", status=410)
