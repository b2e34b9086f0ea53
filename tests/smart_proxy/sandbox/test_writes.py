"""create, update, patch, delete, their conditional forms, If-Match and Prefer."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import SandboxStore

from .support import base_url, get_json, issue, send

MRN = "http://hospital.example.org/fhir/sid/mrn"


def new_patient(value: str = "X-1", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "identifier": [{"system": MRN, "value": value}],
            "name": [{"family": "Newcomer"}], **extra}


async def test_create_assigns_an_id_and_returns_201(client: TestClient) -> None:
    body, response = await send(client, "POST", "/fhir/Patient", new_patient(id="ignored"),
                                status=201)
    assert body is not None and body["id"] != "ignored"
    assert body["meta"]["versionId"] == "1"
    assert response.headers["Location"] == \
        f"{base_url(client)}/Patient/{body['id']}/_history/1"
    assert response.headers["ETag"] == 'W/"1"'
    assert (await get_json(client, f"/fhir/Patient/{body['id']}"))["name"] == body["name"]


async def test_prefer_return(client: TestClient) -> None:
    minimal, response = await send(client, "POST", "/fhir/Patient", new_patient(), status=201,
                                   headers={"Prefer": "return=minimal"})
    assert minimal is None and response.headers["Location"]
    outcome, _ = await send(client, "POST", "/fhir/Patient", new_patient(), status=201,
                            headers={"Prefer": "return=OperationOutcome"})
    assert outcome is not None and issue(outcome)["severity"] == "information"
    full, _ = await send(client, "POST", "/fhir/Patient", new_patient(), status=201,
                         headers={"Prefer": "return=representation"})
    assert full is not None and full["resourceType"] == "Patient"


async def test_conditional_create(client: TestClient) -> None:
    header = {"If-None-Exist": f"identifier={MRN}|100000"}
    existing, _ = await send(client, "POST", "/fhir/Patient", new_patient(), status=200,
                             headers=header)
    assert existing is not None and existing["id"] == "p1"
    created, _ = await send(client, "POST", "/fhir/Patient", new_patient(), status=201,
                            headers={"If-None-Exist": f"identifier={MRN}|X-1"})
    assert created is not None
    again, _ = await send(client, "POST", "/fhir/Patient", new_patient(), status=200,
                          headers={"If-None-Exist": f"Patient?identifier={MRN}|X-1"})
    assert again is not None and again["id"] == created["id"]
    await send(client, "POST", "/fhir/Patient", new_patient(), status=201,
               headers={"If-None-Exist": f"identifier={MRN}|X-2"})
    await send(client, "POST", "/fhir/Patient", new_patient("X-2"), status=201)
    several, _ = await send(client, "POST", "/fhir/Patient", new_patient(), status=412,
                            headers={"If-None-Exist": "family=newcomer"})
    assert several is not None and issue(several)["code"] == "multiple-matches"


async def test_update_and_create_on_update(client: TestClient) -> None:
    patient = await get_json(client, "/fhir/Patient/p1")
    patient["active"] = False
    body, response = await send(client, "PUT", "/fhir/Patient/p1", patient)
    assert body is not None and body["meta"]["versionId"] == "2" and body["active"] is False
    assert response.headers["ETag"] == 'W/"2"'
    created, response = await send(client, "PUT", "/fhir/Patient/chosen-id",
                                   new_patient(id="chosen-id"), status=201)
    assert created is not None and created["id"] == "chosen-id"
    assert response.headers["Location"].endswith("/Patient/chosen-id/_history/1")


@pytest.mark.parametrize(("body", "fragment"), [
    (new_patient(), "must carry an id"),
    (new_patient(id="other"), "does not match URL id"),
    ({"resourceType": "Observation", "id": "p1"}, "Expected a Patient"),
    (["not", "an", "object"], "must be a FHIR resource"),
])
async def test_bad_updates_are_400(client: TestClient, body: Any, fragment: str) -> None:
    outcome, _ = await send(client, "PUT", "/fhir/Patient/p1", body, status=400)
    assert outcome is not None and fragment in issue(outcome)["diagnostics"]


async def test_if_match(client: TestClient) -> None:
    patient = await get_json(client, "/fhir/Patient/p2")
    await send(client, "PUT", "/fhir/Patient/p2", patient, headers={"If-Match": 'W/"1"'})
    stale, _ = await send(client, "PUT", "/fhir/Patient/p2", patient, status=412,
                          headers={"If-Match": 'W/"1"'})
    assert stale is not None and issue(stale)["code"] == "conflict"
    await send(client, "PUT", "/fhir/Patient/p2", patient, headers={"If-Match": '"2"'})
    await send(client, "PUT", "/fhir/Patient/absent", {**patient, "id": "absent"}, status=412,
               headers={"If-Match": 'W/"1"'})
    await send(client, "DELETE", "/fhir/Patient/p2", status=412, headers={"If-Match": 'W/"1"'})
    await send(client, "DELETE", "/fhir/Patient/p2", status=204, headers={"If-Match": 'W/"3"'})


async def test_conditional_update(client: TestClient) -> None:
    updated, _ = await send(client, "PUT", f"/fhir/Patient?identifier={MRN}|100001",
                            new_patient("100001"))
    assert updated is not None and updated["id"] == "p2" and updated["meta"]["versionId"] == "2"
    created, _ = await send(client, "PUT", f"/fhir/Patient?identifier={MRN}|NEW",
                            new_patient("NEW"), status=201)
    assert created is not None and created["id"] not in ("p1", "p2")
    await send(client, "PUT", "/fhir/Patient?gender=female", new_patient(), status=412)
    await send(client, "PUT", f"/fhir/Patient?identifier={MRN}|100001",
               new_patient("100001", id="p3"), status=400)


async def test_patch(client: TestClient) -> None:
    ops = [{"op": "test", "path": "/gender", "value": "female"},
           {"op": "replace", "path": "/active", "value": False},
           {"op": "add", "path": "/name/0/given/-", "value": "Middle"}]
    response = await client.patch("/fhir/Patient/p1", data=orjson.dumps(ops),
                                  headers={"Content-Type": "application/json-patch+json"})
    body = await response.json(content_type=None)
    assert response.status == 200, body
    assert body["active"] is False and body["name"][0]["given"][-1] == "Middle"
    assert body["meta"]["versionId"] == "2"
    assert (await get_json(client, "/fhir/Patient/p1/_history/2"))["active"] is False


@pytest.mark.parametrize(("ops", "status", "headers"), [
    ([{"op": "test", "path": "/gender", "value": "other"}], 422, {}),
    ([{"op": "replace", "path": "/id", "value": "p9"}], 400, {}),
    ([{"op": "replace", "path": "/resourceType", "value": "Group"}], 400, {}),
    ([{"op": "remove", "path": "/nothing"}], 400, {}),
    ({"not": "a list"}, 400, {}),
    ([{"op": "add", "path": "/active", "value": True}], 412, {"If-Match": 'W/"9"'}),
])
async def test_patch_failures(client: TestClient, ops: Any, status: int,
                              headers: dict[str, str]) -> None:
    response = await client.patch(
        "/fhir/Patient/p1", data=orjson.dumps(ops),
        headers={"Content-Type": "application/json-patch+json", **headers})
    assert response.status == status
    assert (await response.json(content_type=None))["resourceType"] == "OperationOutcome"
    assert (await get_json(client, "/fhir/Patient/p1"))["meta"]["versionId"] == "1"


async def test_patch_needs_json_patch_and_a_live_resource(client: TestClient) -> None:
    await send(client, "PATCH", "/fhir/Patient/p1", [], status=415)
    response = await client.patch("/fhir/Patient/nobody", data=b"[]",
                                  headers={"Content-Type": "application/json-patch+json"})
    assert response.status == 404


async def test_delete(client: TestClient, sandbox_store: SandboxStore) -> None:
    _, response = await send(client, "DELETE", "/fhir/Condition/cond-p1-1", status=204)
    assert response.headers["ETag"] == 'W/"2"'
    await get_json(client, "/fhir/Condition/cond-p1-1", status=410)
    await send(client, "DELETE", "/fhir/Condition/cond-p1-1", status=204)
    outcome, _ = await send(client, "DELETE", "/fhir/Goal/goal-p1-1", status=200,
                            headers={"Prefer": "return=OperationOutcome"})
    assert outcome is not None and issue(outcome)["diagnostics"] == "Resource deleted"
    await send(client, "DELETE", "/fhir/Condition/never-there", status=404)
    version = sandbox_store.current("Condition", "cond-p1-1")
    assert version is not None and version.deleted and version.version_id == 2
    recreated, _ = await send(client, "PUT", "/fhir/Condition/cond-p1-1",
                              {"resourceType": "Condition", "id": "cond-p1-1",
                               "subject": {"reference": "Patient/p1"}}, status=201)
    assert recreated is not None and recreated["meta"]["versionId"] == "3"


async def test_conditional_delete(client: TestClient) -> None:
    await send(client, "DELETE", f"/fhir/Patient?identifier={MRN}|100003", status=204)
    await get_json(client, "/fhir/Patient/p4", status=410)
    await send(client, "DELETE", f"/fhir/Patient?identifier={MRN}|nobody", status=204)
    outcome, _ = await send(client, "DELETE", "/fhir/Observation?patient=p1", status=412)
    assert outcome is not None and issue(outcome)["code"] == "multiple-matches"
    await send(client, "DELETE", "/fhir/Patient", status=400)


async def test_create_refuses_mismatched_types_and_xml(client: TestClient) -> None:
    outcome, _ = await send(client, "POST", "/fhir/Patient", {"resourceType": "Observation"},
                            status=400)
    assert outcome is not None and issue(outcome)["expression"] == ["resourceType"]
    response = await client.post("/fhir/Patient", data=b"<Patient/>",
                                  headers={"Content-Type": "application/fhir+xml"})
    assert response.status == 415
    response = await client.post("/fhir/Patient", data=b"{not json",
                                 headers={"Content-Type": "application/fhir+json"})
    assert response.status == 400
    assert issue(await response.json(content_type=None))["code"] == "structure"
