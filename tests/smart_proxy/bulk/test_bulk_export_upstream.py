"""Bulk export against an upstream that misbehaves: the proxy fails closed and leaks nothing."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from smart_proxy.app import create_app
from smart_proxy.state import MemoryStore
from tests.support import UPSTREAM_SECRET, make_config

KICK_OFF = {"Accept": "application/fhir+json", "Prefer": "respond-async"}
GROUP = "/fhir/Group/quality-cohort/$export"
SCOPES = ("system/Patient.rs", "system/Observation.rs")
PATIENT = {"resourceType": "Patient", "id": "p1"}


class FakeUpstream:
    """Answers kick-off, status and file requests as each test sets them."""

    def __init__(self) -> None:
        self.status_location = "/fhir/status/job-1"
        self.kick_off: tuple[int, bytes] = (202, b"")
        self.status: tuple[int, bytes, dict[str, str]] = (200, b"", {})
        self.file_body = b""
        self.seen: list[tuple[str, str, str | None]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.answer)
        return app

    async def answer(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, request.path_qs, request.headers.get("Authorization")))
        if request.path.endswith("$export"):
            status, body = self.kick_off
            headers = {"Content-Location": self.status_location} if status == 202 else {}
            return web.Response(status=status, body=body, headers=headers,
                                content_type="application/fhir+json")
        if request.path.startswith("/fhir/status/"):
            status, body, headers = self.status
            return web.Response(status=status, body=body or None, headers=headers,
                                content_type="application/json")
        return web.Response(body=self.file_body, content_type="application/fhir+ndjson")


@pytest.fixture
async def fake(aiohttp_server: Any) -> Any:
    upstream = FakeUpstream()
    upstream.server = await aiohttp_server(upstream.app())
    return upstream


@pytest.fixture
async def proxy(aiohttp_client: Any, fake: Any, store: MemoryStore) -> TestClient:
    server: TestServer = fake.server
    return await aiohttp_client(create_app(make_config(str(server.make_url("/fhir"))), store=store))


@pytest.fixture
async def token(issue_token: Any) -> str:
    return str(await issue_token(client_id="demo-backend-service", scopes=SCOPES, patient=None))


def auth(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


def manifest(fake: Any, *files: tuple[str, str]) -> bytes:
    base = str(fake.server.make_url("/fhir"))
    return orjson.dumps({
        "transactionTime": "2026-11-25T00:00:00Z", "request": base + GROUP[5:],
        "requiresAccessToken": True, "error": [],
        "output": [{"type": t, "url": url if "://" in url else base + url, "count": 1}
                   for t, url in files],
        "deleted": [{"type": "Bundle", "url": base + "/files/deleted.ndjson"}],
    })


async def started(proxy: TestClient, token: str) -> str:
    response = await proxy.get(GROUP, headers=auth(token, **KICK_OFF))
    assert response.status == 202
    return response.headers["Content-Location"].removeprefix("https://proxy.example.org")


async def test_upstream_kick_off_error_passes_its_outcome(proxy: TestClient, fake: Any,
                                                           token: str) -> None:
    outcome = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": "too-costly", "diagnostics": "busy"}]}
    fake.kick_off = (429, orjson.dumps(outcome))
    response = await proxy.get(GROUP, headers=auth(token, **KICK_OFF))
    assert response.status == 429
    assert await response.json(content_type=None) == outcome


async def test_synchronous_upstream_answer_is_502(proxy: TestClient, fake: Any, token: str) -> None:
    fake.kick_off = (200, orjson.dumps({"resourceType": "Bundle", "type": "searchset"}))
    response = await proxy.get(GROUP, headers=auth(token, **KICK_OFF))
    assert response.status == 502
    assert "Bundle" not in await response.text()


async def test_status_url_off_the_upstream_origin_is_refused(proxy: TestClient, fake: Any,
                                                             token: str) -> None:
    fake.status_location = "http://elsewhere.example/status/1"
    response = await proxy.get(GROUP, headers=auth(token, **KICK_OFF))
    assert response.status == 502
    assert "Content-Location" not in response.headers


async def test_upstream_credential_goes_upstream_never_the_apps(proxy: TestClient, fake: Any,
                                                                token: str) -> None:
    fake.status = (200, manifest(fake, ("Patient", "/files/p.ndjson")), {})
    fake.file_body = orjson.dumps(PATIENT) + b"\n"
    status_path = await started(proxy, token)
    done = await (await proxy.get(status_path, headers=auth(token))).json()
    await proxy.get(done["output"][0]["url"].removeprefix("https://proxy.example.org"),
                    headers=auth(token))
    assert [auth_header for _, _, auth_header in fake.seen] == [f"Bearer {UPSTREAM_SECRET}"] * 3
    kick_off_query = fake.seen[0][1]
    assert kick_off_query == "/fhir/Group/quality-cohort/$export?_type=Observation,Patient"


async def test_off_origin_file_is_fetched_without_the_proxys_credential(
    proxy: TestClient, fake: Any, token: str, aiohttp_server: Any
) -> None:
    headers_seen: list[str | None] = []

    async def storage(request: web.Request) -> web.Response:
        headers_seen.append(request.headers.get("Authorization"))
        return web.Response(body=orjson.dumps(PATIENT) + b"\n")

    other = web.Application()
    other.router.add_get("/{name}", storage)
    bucket = await aiohttp_server(other)
    fake.status = (200, manifest(fake, ("Patient", str(bucket.make_url("/p.ndjson")))), {})
    status_path = await started(proxy, token)
    done = await (await proxy.get(status_path, headers=auth(token))).json()
    file = await proxy.get(done["output"][0]["url"].removeprefix("https://proxy.example.org"),
                           headers=auth(token))
    assert file.status == 200
    assert orjson.loads(await file.read()) == PATIENT
    assert headers_seen == [None]


async def test_manifest_drops_deleted_and_unknown_fields(proxy: TestClient, fake: Any,
                                                         token: str) -> None:
    fake.status = (200, manifest(fake, ("Patient", "/files/p.ndjson"),
                                 ("Encounter", "/files/e.ndjson")), {})
    status_path = await started(proxy, token)
    done = await (await proxy.get(status_path, headers=auth(token))).json()
    assert "deleted" not in done
    assert [item["type"] for item in done["output"]] == ["Patient"]
    assert done["output"][0]["url"].endswith("/file/0")


@pytest.mark.parametrize(
    ("upstream", "status"),
    [((404, b"", {}), 404), ((410, b"", {}), 404),
     ((500, orjson.dumps({"resourceType": "OperationOutcome", "issue": [
         {"severity": "fatal", "code": "exception", "diagnostics": "export failed"}]}), {}), 502),
     ((200, b"<html>", {}), 502), ((200, b'{"output": "x"}', {}), 502)],
)
async def test_status_faults(proxy: TestClient, fake: Any, token: str,
                             upstream: tuple[int, bytes, dict[str, str]], status: int) -> None:
    fake.status = upstream
    status_path = await started(proxy, token)
    response = await proxy.get(status_path, headers=auth(token))
    assert response.status == status
    assert (await response.json(content_type=None))["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("retry_after", "shown"), [("120", "120"), ("soon\r\nX-Evil: 1", "5"), (None, "5")],
)
async def test_in_progress_keeps_a_valid_retry_after(proxy: TestClient, fake: Any, token: str,
                                                     retry_after: str | None, shown: str) -> None:
    headers = {"Retry-After": retry_after} if retry_after and "\n" not in retry_after else {}
    fake.status = (202, b"", {**headers, "X-Progress": "50% done"})
    status_path = await started(proxy, token)
    response = await proxy.get(status_path, headers=auth(token))
    assert response.status == 202
    assert response.headers["Retry-After"] == shown
    assert response.headers["X-Progress"] == "50% done"


async def test_unparseable_line_breaks_the_download(proxy: TestClient, fake: Any,
                                                    token: str) -> None:
    fake.status = (200, manifest(fake, ("Patient", "/files/p.ndjson")), {})
    fake.file_body = orjson.dumps(PATIENT) + b"\n{not json\n" + orjson.dumps(PATIENT) + b"\n"
    status_path = await started(proxy, token)
    done = await (await proxy.get(status_path, headers=auth(token))).json()
    response = await proxy.get(done["output"][0]["url"].removeprefix("https://proxy.example.org"),
                               headers=auth(token))
    assert response.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await response.read()


async def test_lines_of_other_types_are_left_out(proxy: TestClient, fake: Any, token: str) -> None:
    fake.status = (200, manifest(fake, ("Patient", "/files/p.ndjson")), {})
    encounter = {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"}}
    fake.file_body = b"\r\n".join(orjson.dumps(r) for r in (PATIENT, encounter, PATIENT)) + b"\r\n\n"
    status_path = await started(proxy, token)
    done = await (await proxy.get(status_path, headers=auth(token))).json()
    response = await proxy.get(done["output"][0]["url"].removeprefix("https://proxy.example.org"),
                               headers=auth(token))
    assert [orjson.loads(line) for line in (await response.read()).splitlines()] == [PATIENT] * 2
