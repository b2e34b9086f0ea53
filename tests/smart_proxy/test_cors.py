"""CORS: approved apps' origins on the API, any origin on public metadata, never credentials."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from smart_proxy.app import create_app
from smart_proxy.state import MemoryStore
from tests.support import make_config

APP_ORIGIN = "http://127.0.0.1:9999"  # demo-patient-app's registered redirect origin
SUSPENDED_ORIGIN = "https://quick-records.example.com"


@pytest.fixture
async def proxy(aiohttp_client: Any, aiohttp_server: Any, store: MemoryStore) -> TestClient:
    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/Binary/b1"):
            return web.Response(body=b"%PDF-1.4", content_type="application/pdf")
        return web.json_response({"resourceType": "CapabilityStatement", "rest": []},
                                 content_type="application/fhir+json")

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", answer)
    server = await aiohttp_server(upstream)
    return await aiohttp_client(create_app(make_config(str(server.make_url("/fhir"))), store=store))


@pytest.mark.parametrize("path", ["/fhir/Patient/p1", "/auth/token", "/auth/revoke"])
async def test_preflight_for_registered_origin(proxy: TestClient, path: str) -> None:
    response = await proxy.options(path, headers={
        "Origin": APP_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("origin", ["https://evil.example", SUSPENDED_ORIGIN, "null", "http://127.0.0.1:9998x"])
async def test_preflight_refused_for_other_origins(proxy: TestClient, origin: str) -> None:
    response = await proxy.options("/fhir/Patient/p1", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET"})
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_actual_responses_carry_origin_only_when_trusted(proxy: TestClient, issue_token: Any) -> None:
    # Binary is outside the patient compartment (a patient/ scope never reaches it directly).
    token = await issue_token(scopes=("user/Binary.r",), patient=None, fhir_user="Practitioner/d1")
    ok = await proxy.get("/fhir/Binary/b1", headers={"Origin": APP_ORIGIN, "Authorization": f"Bearer {token}"})
    assert ok.status == 200
    assert ok.headers["Access-Control-Allow-Origin"] == APP_ORIGIN  # streamed answer too
    assert "Location" in ok.headers["Access-Control-Expose-Headers"]
    denied = await proxy.get("/fhir/Patient/p1", headers={"Origin": "https://evil.example"})
    assert denied.status == 401
    assert "Access-Control-Allow-Origin" not in denied.headers
    assert "Origin" in denied.headers.getall("Vary")


async def test_metadata_answers_any_origin(proxy: TestClient) -> None:
    response = await proxy.get("/fhir/metadata", headers={"Origin": "https://anything.example"})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = await proxy.options("/fhir/metadata", headers={
        "Origin": "https://anything.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
