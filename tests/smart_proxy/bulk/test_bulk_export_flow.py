"""Bulk Data export through the proxy against the sandbox (conformance 95–97, peer-gateways (c) 21).

Kick-off → 202 with a proxy status URL; polling → 202 then a 200 manifest whose URLs are the
proxy's; file downloads need the token, carry only what the grant reads; DELETE → 202 then
404; another client never sees the job; data limited to the registered Groups and scopes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from app_registry import BulkExport, Registry, load_registry
from smart_proxy.app import create_app
from smart_proxy.sandbox import create_sandbox_app
from smart_proxy.state import MemoryStore
from tests.support import DEMO_APPS, make_config

BACKEND = "demo-backend-service"
SYSTEM_SCOPES = ("system/Patient.rs", "system/Observation.rs", "system/Condition.rs")
KICK_OFF = {"Accept": "application/fhir+json", "Prefer": "respond-async"}
GROUP = "/fhir/Group/quality-cohort/$export"
LAB = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"


def registry() -> Registry:
    demo = load_registry(DEMO_APPS)
    backend = demo[BACKEND]
    wide = replace(backend, client_id="wide-backend",
                   bulk_export=BulkExport(frozenset({"quality-cohort"}), all_patients=True))
    other = replace(backend, client_id="other-backend")
    return Registry([*demo.values(), wide, other])


@pytest.fixture
async def sandbox(aiohttp_server: Any) -> TestServer:
    return await aiohttp_server(create_sandbox_app())


@pytest.fixture
async def proxy(aiohttp_client: Any, sandbox: TestServer, store: MemoryStore) -> TestClient:
    config = make_config(str(sandbox.make_url("/fhir")))
    return await aiohttp_client(create_app(config, store=store, registry=registry()))


@pytest.fixture
async def system_token(issue_token: Any) -> Any:
    async def issue(client_id: str = BACKEND, scopes: tuple[str, ...] = SYSTEM_SCOPES) -> str:
        return str(await issue_token(client_id=client_id, scopes=scopes, patient=None))
    return issue


def auth(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


def path_of(url: str) -> str:
    parsed = URL(url)
    assert parsed.host == "proxy.example.org", url
    return parsed.raw_path_qs


async def kick_off(proxy: TestClient, token: str, url: str = GROUP) -> str:
    response = await proxy.get(url, headers=auth(token, **KICK_OFF))
    assert response.status == 202, await response.text()
    return path_of(response.headers["Content-Location"])


async def manifest_of(proxy: TestClient, token: str, status_path: str) -> dict[str, Any]:
    first = await proxy.get(status_path, headers=auth(token))
    assert first.status == 202
    assert first.headers["Retry-After"] == "1"
    done = await proxy.get(status_path, headers=auth(token))
    assert done.status == 200, await done.text()
    assert done.content_type == "application/json"
    return dict(await done.json())


async def download(proxy: TestClient, token: str, url: str) -> list[dict[str, Any]]:
    response = await proxy.get(path_of(url), headers=auth(token))
    assert response.status == 200
    assert response.content_type == "application/fhir+ndjson"
    return [orjson.loads(line) for line in (await response.read()).splitlines()]


async def test_group_export_end_to_end(proxy: TestClient, system_token: Any,
                                       sandbox: TestServer) -> None:
    token = await system_token()
    status_path = await kick_off(proxy, token)
    assert status_path.startswith("/fhir/_bulk/")
    manifest = await manifest_of(proxy, token, status_path)
    assert set(manifest) == {"transactionTime", "request", "requiresAccessToken", "output", "error"}
    assert manifest["request"] == "https://proxy.example.org" + GROUP
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert sorted(item["type"] for item in manifest["output"]) == ["Condition", "Observation", "Patient"]
    upstream_host = str(sandbox.make_url("/"))
    assert upstream_host.rstrip("/") not in orjson.dumps(manifest).decode()
    by_type = {item["type"]: item for item in manifest["output"]}
    patients = await download(proxy, token, by_type["Patient"]["url"])
    assert sorted(p["id"] for p in patients) == ["p1", "p2", "p3", "p4"]
    observations = await download(proxy, token, by_type["Observation"]["url"])
    assert len(observations) == by_type["Observation"]["count"] > 0
    members = {f"Patient/p{n}" for n in range(1, 5)}
    assert {o["subject"]["reference"] for o in observations} <= members


async def test_kick_off_without_token_is_401(proxy: TestClient) -> None:
    response = await proxy.get(GROUP, headers=KICK_OFF)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_download_and_status_without_token_are_401(proxy: TestClient, system_token: Any) -> None:
    token = await system_token()
    status_path = await kick_off(proxy, token)
    manifest = await manifest_of(proxy, token, status_path)
    for path in (status_path, path_of(manifest["output"][0]["url"])):
        response = await proxy.get(path)
        assert response.status == 401
        assert (await response.json(content_type=None))["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("url", "headers", "status", "text"),
    [
        (GROUP, {"Accept": "application/fhir+json"}, 400, "Prefer: respond-async"),
        (GROUP, {"Accept": "application/fhir+json", "Prefer": "return=representation"}, 400,
         "Prefer: respond-async"),
        (GROUP, {"Accept": "application/fhir+xml", "Prefer": "respond-async"}, 400,
         "Accept: application/fhir+json"),
        ("/fhir/Group/other-group/$export", KICK_OFF, 404, "not available for export"),
        ("/fhir/$export", KICK_OFF, 403, "pre-authorised Groups only"),
        ("/fhir/Patient/$export", KICK_OFF, 403, "pre-authorised Groups only"),
        (GROUP + "?_type=Encounter", KICK_OFF, 403, "not granted for export: Encounter"),
        (GROUP + "?_type=Observation,MedicationRequest", KICK_OFF, 403, "MedicationRequest"),
        (GROUP + "?_typeFilter=Encounter%3Fstatus%3Dfinished", KICK_OFF, 403, "Encounter"),
        (GROUP + "?_typeFilter=Observation%3Fsubject.name%3Dx", KICK_OFF, 400, "chained"),
        (GROUP + "?_outputFormat=text/csv", KICK_OFF, 400, "_outputFormat"),
        (GROUP + "?_since=yesterday", KICK_OFF, 400, "_since"),
        (GROUP + "?_include=Observation:subject", KICK_OFF, 400, "'_include' is not supported"),
    ],
)
async def test_kick_off_refusals(proxy: TestClient, system_token: Any, url: str,
                                 headers: dict[str, str], status: int, text: str) -> None:
    response = await proxy.get(url, headers=auth(await system_token(), **headers))
    assert response.status == status
    body = await response.json(content_type=None)
    assert body["resourceType"] == "OperationOutcome"
    assert text in body["issue"][0]["diagnostics"]
    assert "Content-Location" not in response.headers


@pytest.mark.parametrize(
    "scopes", [("patient/*.rs",), ("user/*.rs",)],
)
async def test_patient_and_user_grants_cannot_export(proxy: TestClient, issue_token: Any,
                                                     scopes: tuple[str, ...]) -> None:
    token = await issue_token(scopes=scopes, fhir_user="Practitioner/prac-1")
    response = await proxy.get(GROUP, headers=auth(token, **KICK_OFF))
    assert response.status == 403
    assert "system/ scopes" in (await response.json(content_type=None))["issue"][0]["diagnostics"]


async def test_all_patients_client_may_export_every_patient(proxy: TestClient,
                                                            system_token: Any) -> None:
    token = await system_token("wide-backend")
    status_path = await kick_off(proxy, token, "/fhir/Patient/$export?_type=Patient")
    manifest = await manifest_of(proxy, token, status_path)
    assert [item["type"] for item in manifest["output"]] == ["Patient"]
    patients = await download(proxy, token, manifest["output"][0]["url"])
    assert len(patients) == 8


async def test_export_types_are_the_granted_ones(proxy: TestClient, system_token: Any) -> None:
    token = await system_token(scopes=("system/Patient.rs",))
    manifest = await manifest_of(proxy, token, await kick_off(proxy, token))
    assert [item["type"] for item in manifest["output"]] == ["Patient"]


async def test_other_client_never_sees_the_job(proxy: TestClient, system_token: Any) -> None:
    mine = await system_token()
    status_path = await kick_off(proxy, mine)
    manifest = await manifest_of(proxy, mine, status_path)
    theirs = await system_token("other-backend")
    for method, path in (("GET", status_path), ("DELETE", status_path),
                         ("GET", path_of(manifest["output"][0]["url"]))):
        response = await proxy.request(method, path, headers=auth(theirs))
        assert response.status == 404
        assert (await response.json(content_type=None))["issue"][0]["code"] == "not-found"
    still = await proxy.get(status_path, headers=auth(mine))
    assert still.status == 200


async def test_cancel_then_status_is_404(proxy: TestClient, system_token: Any) -> None:
    token = await system_token()
    status_path = await kick_off(proxy, token)
    cancelled = await proxy.delete(status_path, headers=auth(token))
    assert cancelled.status == 202
    gone = await proxy.get(status_path, headers=auth(token))
    assert gone.status == 404
    body = await gone.json(content_type=None)
    assert body["resourceType"] == "OperationOutcome"


async def test_unknown_job_is_404(proxy: TestClient, system_token: Any) -> None:
    response = await proxy.get("/fhir/_bulk/" + "A" * 43, headers=auth(await system_token()))
    assert response.status == 404


async def test_granular_system_scope_filters_every_line(proxy: TestClient, system_token: Any) -> None:
    wide = await system_token()
    token = await system_token(scopes=("system/Patient.rs", f"system/Observation.rs?category={LAB}"))
    status_path = await kick_off(proxy, token)
    manifest = await manifest_of(proxy, token, status_path)
    observation = next(i for i in manifest["output"] if i["type"] == "Observation")
    assert "count" not in observation
    labs = await download(proxy, token, observation["url"])
    everything = await download(proxy, wide, observation["url"])
    assert 0 < len(labs) < len(everything)
    for resource in labs:
        codes = {c["code"] for cat in resource["category"] for c in cat["coding"]}
        assert "laboratory" in codes


async def test_download_is_checked_against_the_current_grant(proxy: TestClient,
                                                             system_token: Any) -> None:
    token = await system_token()
    manifest = await manifest_of(proxy, token, await kick_off(proxy, token))
    observation = next(i for i in manifest["output"] if i["type"] == "Observation")
    narrower = await system_token(scopes=("system/Patient.rs",))
    assert await download(proxy, narrower, observation["url"]) == []


async def test_post_kick_off_with_parameters(proxy: TestClient, system_token: Any) -> None:
    token = await system_token()
    body = {"resourceType": "Parameters",
            "parameter": [{"name": "_type", "valueString": "Patient"},
                          {"name": "_outputFormat", "valueString": "application/fhir+ndjson"}]}
    response = await proxy.post(GROUP, data=orjson.dumps(body),
                                headers=auth(token, **KICK_OFF, **{"Content-Type": "application/fhir+json"}))
    assert response.status == 202
    manifest = await manifest_of(proxy, token, path_of(response.headers["Content-Location"]))
    assert manifest["request"] == "https://proxy.example.org" + GROUP
    assert [item["type"] for item in manifest["output"]] == ["Patient"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"resourceType": "Patient"}',
     b'{"resourceType": "Parameters", "parameter": [{"name": "_type"}]}'],
)
async def test_post_kick_off_with_a_bad_body_is_400(proxy: TestClient, system_token: Any,
                                                    body: bytes) -> None:
    response = await proxy.post(GROUP, data=body, headers=auth(await system_token(), **KICK_OFF))
    assert response.status == 400


async def test_metadata_declares_the_export_operations(proxy: TestClient) -> None:
    response = await proxy.get("/fhir/metadata")
    rest = (await response.json(content_type=None))["rest"][0]
    group = next(r for r in rest["resource"] if r["type"] == "Group")
    assert group["operation"] == [
        {"name": "export",
         "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}]
    assert {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"} \
        in rest["operation"]
