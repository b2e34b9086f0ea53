"""The gate on every FHIR call: app still approved, consent still active, scope covers the call."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from smart_proxy.app import create_app
from smart_proxy.consent import ConsentRecord, ConsentStore
from smart_proxy.grants import revoke_grant
from smart_proxy.state import MemoryStore
from tests.support import make_config

LAB_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"


@pytest.fixture
async def upstream(aiohttp_server: Any) -> Any:
    calls: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        calls.append(request.path_qs)
        observation = {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"},
                       "category": [{"coding": [{"system": LAB_SYSTEM, "code": "laboratory"}]}]}
        if request.path.endswith("/o1"):
            return web.json_response(observation, content_type="application/fhir+json")
        bundle = {"resourceType": "Bundle", "type": "searchset", "total": 1,
                  "entry": [{"fullUrl": str(request.url.with_path("/fhir/Observation/o1").with_query(None)),
                             "resource": observation, "search": {"mode": "match"}}]}
        return web.json_response(bundle, content_type="application/fhir+json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = await aiohttp_server(app)
    server.calls = calls
    return server


@pytest.fixture
async def proxy(aiohttp_client: Any, upstream: Any, store: MemoryStore) -> TestClient:
    return await aiohttp_client(create_app(make_config(str(upstream.make_url("/fhir"))), store=store))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("client_id", "status"),
    [("demo-patient-app", 200), ("demo-suspended-app", 401), ("demo-pending-app", 401), ("no-such-app", 401)],
)
async def test_app_must_be_approved_now(
    proxy: TestClient, upstream: Any, issue_token: Any, client_id: str, status: int
) -> None:
    token = await issue_token(client_id=client_id)
    response = await proxy.get("/fhir/Observation/o1", headers=bearer(token))
    assert response.status == status
    assert len(upstream.calls) == (1 if status == 200 else 0)


async def test_consent_withdrawal_and_expiry_end_access(
    proxy: TestClient, upstream: Any, issue_token: Any, store: MemoryStore
) -> None:
    consents = ConsentStore(store)
    now = time.time()
    await consents.save(ConsentRecord("c-live", "p1", "demo-patient-app", ("patient/*.rs",), now - 10))
    await consents.save(ConsentRecord("c-old", "p1", "demo-patient-app", ("patient/*.rs",), now - 10,
                                      expires_at=now - 1))
    live = await issue_token(consent_id="c-live")
    expired = await issue_token(consent_id="c-old")
    missing = await issue_token(consent_id="c-never-saved")
    assert (await proxy.get("/fhir/Observation/o1", headers=bearer(live))).status == 200
    assert (await proxy.get("/fhir/Observation/o1", headers=bearer(expired))).status == 401
    assert (await proxy.get("/fhir/Observation/o1", headers=bearer(missing))).status == 401
    await consents.revoke("c-live", now, by="patient")
    response = await proxy.get("/fhir/Observation/o1", headers=bearer(live))
    assert response.status == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert len(upstream.calls) == 1


async def test_revoked_grant_fails_on_next_call(
    proxy: TestClient, issue_token: Any, store: MemoryStore
) -> None:
    token = await issue_token(grant_id="g-1")
    assert (await proxy.get("/fhir/Observation/o1", headers=bearer(token))).status == 200
    await revoke_grant(store, "g-1")
    assert (await proxy.get("/fhir/Observation/o1", headers=bearer(token))).status == 401


@pytest.mark.parametrize(
    ("scopes", "patient", "method", "path", "status"),
    [
        (("patient/Observation.rs",), "p1", "GET", "/fhir/Observation/o1", 200),
        (("patient/Observation.rs",), "p1", "GET", "/fhir/Observation?code=x", 200),
        (("patient/Observation.rs",), "p1", "GET", "/fhir/Patient/p1/Observation", 200),
        (("patient/Observation.r",), "p1", "GET", "/fhir/Observation?code=x", 403),
        (("patient/Observation.s",), "p1", "GET", "/fhir/Observation/o1", 403),
        (("patient/Observation.rs",), "p1", "GET", "/fhir/Condition/c1", 403),
        (("patient/Observation.rs",), "p1", "POST", "/fhir/Observation", 403),
        (("patient/Observation.rs",), "p1", "DELETE", "/fhir/Observation/o1", 403),
        (("patient/Observation.read",), "p1", "GET", "/fhir/Observation/o1", 200),
        (("patient/Observation.rs",), None, "GET", "/fhir/Observation/o1", 403),
        (("patient/*.rs",), "p1", "POST", "/fhir", 400),
        (("patient/*.rs",), "p1", "GET", "/fhir?_type=Observation", 400),
        (("patient/*.rs",), "p1", "GET", "/fhir/_history", 400),
        (("patient/*.rs",), "p1", "GET", "/fhir/$graphql?query=x", 400),
        (("patient/*.rs",), "p1", "GET", "/fhir/observation/o1", 400),
        (("patient/*.rs",), "p1", "DELETE", "/fhir/Observation", 400),
        (("patient/*.rs",), "p1", "GET", "/fhir/Observation?_has:Observation:patient:code=1", 400),
        (("patient/*.rs",), "p1", "GET", "/fhir/Observation?subject.name=x", 400),
        (("patient/*.rs",), "p1", "GET", "/fhir/Patient/p2", 404),
        (("patient/*.rs",), "p1", "GET", "/fhir/Patient/p2/$everything", 404),
        (("patient/*.cruds",), "p1", "POST", "/fhir/Patient", 403),
    ],
)
async def test_scope_covers_interaction(
    proxy: TestClient, upstream: Any, issue_token: Any,
    scopes: tuple[str, ...], patient: str | None, method: str, path: str, status: int,
) -> None:
    token = await issue_token(scopes=scopes, patient=patient)
    response = await proxy.request(method, path, headers=bearer(token))
    assert response.status == status
    assert len(upstream.calls) == (1 if status == 200 else 0)
    if status == 403:
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="smart-proxy", error="insufficient_scope"'
        body = await response.json(content_type="application/fhir+json")
        assert body["issue"][0]["code"] == "forbidden"


async def test_searches_are_narrowed_to_the_patient(proxy: TestClient, upstream: Any, issue_token: Any) -> None:
    token = await issue_token(scopes=("patient/Observation.rs",))
    response = await proxy.get("/fhir/Observation?code=x", headers=bearer(token))
    assert response.status == 200
    assert upstream.calls == ["/fhir/Observation?code=x&patient=Patient/p1"]


async def test_a_search_naming_another_patient_gets_an_empty_searchset(
    proxy: TestClient, upstream: Any, issue_token: Any
) -> None:
    token = await issue_token(scopes=("patient/Observation.rs",))
    response = await proxy.get("/fhir/Observation?patient=p2", headers=bearer(token))
    assert response.status == 200
    assert await response.json(content_type=None) == {
        "resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
    assert upstream.calls == []


async def test_granular_scopes_become_one_upstream_filter(
    proxy: TestClient, upstream: Any, issue_token: Any
) -> None:
    lab = f"patient/Observation.rs?category={LAB_SYSTEM}|laboratory"
    token = await issue_token(scopes=(lab,))
    response = await proxy.get("/fhir/Observation", headers=bearer(token))
    assert response.status == 200
    assert len((await response.json(content_type=None))["entry"]) == 1
    assert upstream.calls == [f"/fhir/Observation?patient=Patient/p1&category={LAB_SYSTEM}|laboratory"]


async def test_a_resource_of_another_patient_is_404(proxy: TestClient, upstream: Any, issue_token: Any) -> None:
    token = await issue_token(scopes=("patient/Observation.rs",), patient="p2")
    response = await proxy.get("/fhir/Observation/o1", headers=bearer(token))
    assert response.status == 404
    assert len(upstream.calls) == 1


async def test_a_kept_decision_serves_only_the_same_grant_context(
    proxy: TestClient, upstream: Any, issue_token: Any
) -> None:
    """Allowed read decisions are reused per (scopes, patient, user, request): another
    patient's identical call is judged for that patient (no upstream call for p1's data)."""
    mine = await issue_token(patient="p1", scopes=("patient/*.rs",))
    theirs = await issue_token(patient="p2", scopes=("patient/*.rs",))
    for _ in range(2):
        response = await proxy.get("/fhir/Observation?patient=p1", headers=bearer(mine))
        assert response.status == 200
    calls = len(upstream.calls)
    assert calls == 2 and upstream.calls[-1] == "/fhir/Observation?patient=Patient/p1"
    other = await proxy.get("/fhir/Observation?patient=p1", headers=bearer(theirs))
    assert (await other.json(content_type=None))["entry"] == []
    assert len(upstream.calls) == calls
