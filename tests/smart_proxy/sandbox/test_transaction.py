"""batch and transaction Bundles."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import SandboxStore

from .support import base_url, get_json, issue, send

MRN = "http://hospital.example.org/fhir/sid/mrn"
PATIENT_URN = "urn:uuid:0b6c3a8e-4a57-4f3a-9d8e-1f2a3b4c5d6e"
ENCOUNTER_URN = "urn:uuid:7d1e2f3a-5b6c-4d7e-8f9a-0b1c2d3e4f5a"


def entry(method: str, url: str, resource: dict[str, Any] | None = None,
          full_url: str | None = None, **request: str) -> dict[str, Any]:
    item: dict[str, Any] = {"request": {"method": method, "url": url, **request}}
    if resource is not None:
        item["resource"] = resource
    if full_url:
        item["fullUrl"] = full_url
    return item


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def new_chart() -> list[dict[str, Any]]:
    """A patient, an encounter and an observation, linked by urn:uuid placeholders."""
    return [
        entry("POST", "Observation", {
            "resourceType": "Observation", "status": "final", "code": {"text": "weight"},
            "subject": {"reference": PATIENT_URN},
            "encounter": {"reference": ENCOUNTER_URN},
            "note": [{"text": "deep", "authorReference": {"reference": PATIENT_URN}}],
            "derivedFrom": [{"reference": "Observation?_id=obs-p1-1"}],
        }),
        entry("POST", "Encounter", {
            "resourceType": "Encounter", "status": "finished",
            "class": {"code": "AMB"}, "subject": {"reference": PATIENT_URN},
            "text": {"status": "generated",
                     "div": f'<div xmlns="http://www.w3.org/1999/xhtml">'
                            f'<a href="{PATIENT_URN}">patient</a></div>'},
        }, full_url=ENCOUNTER_URN),
        entry("POST", "Patient", {"resourceType": "Patient", "name": [{"family": "Tx"}],
                                  "identifier": [{"system": MRN, "value": "TX-1"},
                                                 {"system": "urn:ietf:rfc:3986",
                                                  "value": PATIENT_URN}]},
              full_url=PATIENT_URN),
    ]


async def test_transaction_resolves_placeholders_everywhere(client: TestClient) -> None:
    body, _ = await send(client, "POST", "/fhir", bundle("transaction", *new_chart()))
    assert body is not None and body["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == ["201 Created"] * 3
    observation, encounter, patient = (e["resource"] for e in body["entry"])
    patient_ref = f"Patient/{patient['id']}"
    assert observation["subject"]["reference"] == patient_ref
    assert observation["note"][0]["authorReference"]["reference"] == patient_ref
    assert observation["encounter"]["reference"] == f"Encounter/{encounter['id']}"
    assert observation["derivedFrom"][0]["reference"] == "Observation/obs-p1-1"
    assert f'href="{patient_ref}"' in encounter["text"]["div"]
    assert "urn:uuid" not in encounter["text"]["div"]
    assert patient["identifier"][1]["value"] == PATIENT_URN  # a string, not a link
    location = body["entry"][2]["response"]["location"]
    assert location == f"{patient_ref}/_history/1"
    assert body["entry"][2]["fullUrl"] == f"{base_url(client)}/{patient_ref}"
    stored = await get_json(client, f"/fhir/Observation/{observation['id']}")
    assert stored["subject"]["reference"] == patient_ref


async def test_transaction_is_all_or_nothing(client: TestClient,
                                             sandbox_store: SandboxStore) -> None:
    before = sandbox_store.mark()
    p1 = await get_json(client, "/fhir/Patient/p1")
    failing = bundle(
        "transaction",
        *new_chart(),
        entry("PUT", "Patient/p1", {**p1, "active": False}),
        entry("DELETE", "Goal/goal-p1-1"),
        entry("PUT", "Patient/p2", {"resourceType": "Patient", "id": "p2"}, ifMatch='W/"9"'),
    )
    outcome, _ = await send(client, "POST", "/fhir", failing, status=412)
    assert outcome is not None
    problem = issue(outcome)
    assert problem["expression"] == ["Bundle.entry[5]"]
    assert "entry 5 (PUT Patient/p2)" in problem["diagnostics"]
    assert sandbox_store.mark() == before
    assert (await get_json(client, "/fhir/Patient/p1"))["meta"]["versionId"] == "1"
    await get_json(client, "/fhir/Goal/goal-p1-1")
    assert (await get_json(client, f"/fhir/Patient?identifier={MRN}|TX-1"))["total"] == 0


async def test_transaction_order_is_delete_post_put_get(client: TestClient) -> None:
    body, _ = await send(client, "POST", "/fhir", bundle(
        "transaction",
        entry("GET", "Goal?patient=p1"),
        entry("PUT", "Goal/goal-p1-1", {"resourceType": "Goal", "id": "goal-p1-1",
                                        "lifecycleStatus": "cancelled",
                                        "description": {"text": "replaced"},
                                        "subject": {"reference": "Patient/p1"}}),
        entry("POST", "Goal", {"resourceType": "Goal", "lifecycleStatus": "proposed",
                               "description": {"text": "new"},
                               "subject": {"reference": "Patient/p1"}}),
        entry("DELETE", "CarePlan/cp-p1-1"),
    ))
    assert body is not None
    search = body["entry"][0]["resource"]
    assert search["total"] == 2  # the GET ran last: it sees the POST and the PUT
    assert sorted(e["resource"]["lifecycleStatus"] for e in search["entry"]) == \
        ["cancelled", "proposed"]
    assert body["entry"][3]["response"]["status"] == "204 No Content"


async def test_conditional_create_and_duplicate_targets(client: TestClient) -> None:
    existing = entry("POST", "Patient", {"resourceType": "Patient"}, full_url=PATIENT_URN,
                     ifNoneExist=f"identifier={MRN}|100000")
    linked = entry("POST", "Observation", {"resourceType": "Observation", "status": "final",
                                           "code": {"text": "x"},
                                           "subject": {"reference": PATIENT_URN}})
    body, _ = await send(client, "POST", "/fhir", bundle("transaction", existing, linked))
    assert body is not None and body["entry"][0]["response"]["status"] == "200 OK"
    assert body["entry"][1]["resource"]["subject"]["reference"] == "Patient/p1"
    twice = bundle("transaction", entry("DELETE", "Patient/p1"), entry("DELETE", "Patient/p1"))
    outcome, _ = await send(client, "POST", "/fhir", twice, status=400)
    assert outcome is not None and "More than one entry" in issue(outcome)["diagnostics"]


async def test_conditional_reference_must_match_once(client: TestClient) -> None:
    ambiguous = entry("POST", "Observation", {"resourceType": "Observation", "status": "final",
                                              "code": {"text": "x"},
                                              "subject": {"reference": "Patient?gender=female"}})
    outcome, _ = await send(client, "POST", "/fhir", bundle("transaction", ambiguous),
                            status=412)
    assert outcome is not None and "matched" in issue(outcome)["diagnostics"]


async def test_transaction_patch_as_binary(client: TestClient) -> None:
    ops = [{"op": "replace", "path": "/active", "value": False}]
    patch = entry("PATCH", "Patient/p1", {
        "resourceType": "Binary", "contentType": "application/json-patch+json",
        "data": base64.b64encode(orjson.dumps(ops)).decode()})
    body, _ = await send(client, "POST", "/fhir", bundle("transaction", patch))
    assert body is not None and body["entry"][0]["resource"]["active"] is False


async def test_batch_entries_are_independent(client: TestClient) -> None:
    body, _ = await send(client, "POST", "/fhir", bundle(
        "batch",
        entry("GET", "Patient/p1"),
        entry("GET", "Patient/nobody"),
        entry("POST", "Basic", {"resourceType": "Basic", "code": {"text": "ok"}}),
        entry("PUT", "Patient/p2", {"resourceType": "Patient", "id": "other"}),
        entry("DELETE", "Goal/goal-p2-1"),
        entry("GET", f"{base_url(client)}/Observation?patient=p2&_count=1"),
        {"fullUrl": "no-request"},
        entry("POST", "", bundle("batch")),
    ))
    assert body is not None and body["type"] == "batch-response"
    responses = [e["response"] for e in body["entry"]]
    assert [r["status"] for r in responses] == [
        "200 OK", "404 Not Found", "201 Created", "400 Bad Request", "204 No Content",
        "200 OK", "400 Bad Request", "400 Bad Request"]
    assert responses[1]["outcome"]["resourceType"] == "OperationOutcome"
    assert responses[0]["etag"] == 'W/"1"'
    assert responses[2]["location"].startswith("Basic/")
    assert body["entry"][5]["resource"]["type"] == "searchset"
    await get_json(client, "/fhir/Goal/goal-p2-1", status=410)


async def test_bundle_post_errors(client: TestClient) -> None:
    await send(client, "POST", "/fhir", {"resourceType": "Patient"}, status=400)
    await send(client, "POST", "/fhir", bundle("collection"), status=400)
    outcome, _ = await send(client, "POST", "/fhir", bundle(
        "transaction", entry("POST", "http://elsewhere.example/fhir/Patient",
                             {"resourceType": "Patient"})), status=400)
    assert outcome is not None and "not on this server" in issue(outcome)["diagnostics"]
    outcome, _ = await send(client, "POST", "/fhir", bundle(
        "transaction", entry("GET", "Patient/p1"), entry("GET", "Nonsense/1")), status=404)
    assert outcome is not None and issue(outcome)["expression"] == ["Bundle.entry[1]"]
    empty, _ = await send(client, "POST", "/fhir", bundle("transaction"))
    assert empty == {"resourceType": "Bundle", "type": "transaction-response"}
