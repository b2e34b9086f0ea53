"""The HTTP layer: base path, errors as OperationOutcome, content negotiation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import SANDBOX_STORE, SandboxData, create_sandbox_app, run_sandbox

from .support import get_json, issue, send

ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/fhir/Nonsense/1", 404, "not-supported"),
    ("GET", "/fhir/Patient/p1/Observation/extra", 404, "not-supported"),
    ("GET", "/elsewhere", 404, "not-found"),
    ("DELETE", "/fhir/metadata", 405, "not-supported"),
    ("PATCH", "/fhir/Observation", 405, "not-supported"),
    ("GET", "/fhir/$export", 400, "invalid"),
    ("GET", "/fhir/Patient/$match", 400, "invalid"),
])
async def test_errors_are_operation_outcomes(client: TestClient, method: str, path: str,
                                             status: int, code: str) -> None:
    response = await client.request(method, path)
    assert response.status == status
    assert response.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert issue(await response.json(content_type=None))["code"] == code


async def test_405_names_the_allowed_methods(client: TestClient) -> None:
    response = await client.delete("/fhir/metadata")
    assert response.headers["Allow"] == "GET"


async def test_xml_only_clients_get_406(client: TestClient) -> None:
    await get_json(client, "/fhir/Patient/p1", status=406,
                   headers={"Accept": "application/fhir+xml"})
    await get_json(client, "/fhir/Patient/p1?_format=xml", status=406)
    await get_json(client, "/fhir/Patient/p1", headers={"Accept": "text/html, */*;q=0.8"})
    await get_json(client, "/fhir/Patient/p1", headers={"Accept": "application/json"})


async def test_unexpected_exceptions_are_500_without_internals(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def explode(*_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("smart_proxy.sandbox.handlers.execute", explode)
    response = await client.get("/fhir/Patient/p1")
    assert response.status == 500
    text = await response.text()
    assert "secret" not in text and "Traceback" not in text
    assert issue(await response.json(content_type=None))["code"] == "exception"
    assert "secret internals" in caplog.text


async def test_custom_base_path_and_data(aiohttp_client: ClientFactory) -> None:
    data = SandboxData([{"resourceType": "Patient", "id": "only"}])
    client = await aiohttp_client(create_sandbox_app(base_path="/r4/", data=data))
    bundle = await get_json(client, "/r4/Patient")
    assert bundle["total"] == 1
    assert bundle["entry"][0]["fullUrl"] == f"{client.make_url('/r4')}/Patient/only"
    await get_json(client, "/fhir/Patient", status=404)
    assert client.app[SANDBOX_STORE].current("Patient", "only") is not None


async def test_seed_and_patient_count(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(create_sandbox_app(seed=5, patients=2))
    assert (await get_json(client, "/fhir/Patient"))["total"] == 2


async def test_root_path_without_base(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(create_sandbox_app(base_path="", data=SandboxData.empty()))
    body, _ = await send(client, "POST", "/Patient", {"resourceType": "Patient"}, status=201)
    assert body is not None and (await get_json(client, "/metadata"))["fhirVersion"] == "4.0.1"


async def test_pretty_output(client: TestClient) -> None:
    response = await client.get("/fhir/Patient/p1?_pretty=true")
    assert (await response.text()).startswith('{\n  "resourceType"')




def test_run_sandbox_serves_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run_app(app: Any, **kwargs: Any) -> None:
        seen.update(kwargs, store=app[SANDBOX_STORE])

    monkeypatch.setattr("smart_proxy.sandbox.app.web.run_app", fake_run_app)
    run_sandbox("127.0.0.1", 8099, seed=3, patients=2)
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8099)
    assert [v.id for v in seen["store"].live("Patient")] == ["p1", "p2"]
