"""read and vread over HTTP."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import SandboxStore

from .support import FHIR_JSON, get_json, issue, send


async def test_read_returns_the_resource_with_version_headers(client: TestClient) -> None:
    response = await client.get("/fhir/Patient/p1")
    assert response.status == 200
    assert response.headers["Content-Type"] == f"{FHIR_JSON}; charset=utf-8"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Last-Modified"] == "Mon, 01 Jan 2024 12:00:00 GMT"
    assert response.headers["Content-Location"] == \
        f"{client.make_url('/fhir')}/Patient/p1/_history/1"
    body = await response.json(content_type=None)
    assert body["resourceType"] == "Patient" and body["id"] == "p1"
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"] == "2024-01-01T12:00:00.000Z"


async def test_unknown_id_is_404_with_an_outcome(client: TestClient) -> None:
    body = await get_json(client, "/fhir/Patient/nobody", status=404)
    assert issue(body) == {"severity": "error", "code": "not-found",
                           "diagnostics": "Resource Patient/nobody is not known"}


async def test_deleted_resource_is_410(client: TestClient) -> None:
    await send(client, "DELETE", "/fhir/Observation/obs-p1-1", status=204)
    body = await get_json(client, "/fhir/Observation/obs-p1-1", status=410)
    assert issue(body)["code"] == "deleted"


async def test_vread_returns_old_versions(client: TestClient, sandbox_store: SandboxStore
                                          ) -> None:
    sandbox_store.put({"resourceType": "Patient", "id": "p1", "active": False})
    old = await get_json(client, "/fhir/Patient/p1/_history/1")
    new = await get_json(client, "/fhir/Patient/p1/_history/2")
    assert old["active"] is True and new["active"] is False
    assert new["meta"]["versionId"] == "2"
    response = await client.get("/fhir/Patient/p1/_history/1")
    assert response.headers["ETag"] == 'W/"1"'
    await get_json(client, "/fhir/Patient/p1/_history/3", status=404)
    await get_json(client, "/fhir/Patient/p1/_history/x", status=404)
    await get_json(client, "/fhir/Patient/nobody/_history/1", status=404)


async def test_vread_of_a_deletion_is_410(client: TestClient) -> None:
    await send(client, "DELETE", "/fhir/Goal/goal-p1-1", status=204)
    await get_json(client, "/fhir/Goal/goal-p1-1/_history/2", status=410)
    assert (await get_json(client, "/fhir/Goal/goal-p1-1/_history/1"))["id"] == "goal-p1-1"


async def test_if_none_match_gives_304(client: TestClient) -> None:
    response = await client.get("/fhir/Patient/p1", headers={"If-None-Match": 'W/"1"'})
    assert response.status == 304 and await response.read() == b""
    assert response.headers["ETag"] == 'W/"1"'
    response = await client.get("/fhir/Patient/p1", headers={"If-None-Match": 'W/"7"'})
    assert response.status == 200


async def test_elements_on_read_subsets_and_tags(client: TestClient) -> None:
    body = await get_json(client, "/fhir/Patient/p1?_elements=gender,birthDate")
    assert set(body) == {"resourceType", "id", "meta", "gender", "birthDate"}
    assert {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
            "code": "SUBSETTED"} in body["meta"]["tag"]


async def test_head_has_headers_and_no_body(client: TestClient) -> None:
    response = await client.head("/fhir/Patient/p1")
    assert response.status == 200 and response.headers["ETag"] == 'W/"1"'
    assert await response.read() == b""


async def test_invalid_id_in_url_is_400(client: TestClient) -> None:
    body = await get_json(client, "/fhir/Patient/bad!id", status=400)
    assert issue(body)["code"] == "invalid"
