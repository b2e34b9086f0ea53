"""The reverse-proxy core against a programmable upstream that records what it got."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from smart_proxy.app import create_app
from smart_proxy.state import MemoryStore, StoreUnavailable
from tests.support import UPSTREAM_SECRET, make_config


class Upstream:
    """An upstream FHIR server whose answers each test programs."""

    def __init__(self) -> None:
        self.seen: list[web.Request] = []
        self.bodies: list[bytes] = []
        self.answer: Any = lambda request: web.json_response(
            {"resourceType": "Patient", "id": "p1"}, content_type="application/fhir+json"
        )
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request)
        self.bodies.append(await request.read())
        result = self.answer(request)
        if asyncio.iscoroutine(result):
            result = await result
        return result


@pytest.fixture
def issue_token(issue_token: Any) -> Any:
    """These tests exercise the plumbing, not the policy: an unconfined backend grant."""

    async def issue(**fields: Any) -> str:
        defaults = {"client_id": "demo-backend-service", "scopes": ("system/*.cruds",), "patient": None}
        return str(await issue_token(**{**defaults, **fields}))

    return issue


@pytest.fixture
async def upstream(aiohttp_server: Any) -> tuple[Upstream, TestServer]:
    fake = Upstream()
    server = await aiohttp_server(fake.app)
    return fake, server


@pytest.fixture
async def proxy(aiohttp_client: Any, upstream: tuple[Upstream, TestServer], store: MemoryStore):
    _, server = upstream
    app = create_app(make_config(str(server.make_url("/fhir"))), store=store)
    return await aiohttp_client(app)


def base_of(server: TestServer) -> str:
    return str(server.make_url("/fhir"))


# --- authentication ------------------------------------------------------------------


async def test_no_token_is_401_with_bare_bearer_challenge(proxy: TestClient, upstream: Any) -> None:
    response = await proxy.get("/fhir/Patient/p1")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="smart-proxy"'
    body = await response.json(content_type="application/fhir+json")
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "login"
    assert upstream[0].seen == []


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("Bearer not-a-known-token", "invalid_token"),
        ("Bearer " + "a" * 600, "invalid_token"),
        ("Bearer bad token with spaces", "invalid_token"),
        ("Bearer", "invalid_request"),
        ("Basic dXNlcjpwYXNz", "invalid_request"),
        ("Token abc", "invalid_request"),
    ],
)
async def test_bad_tokens_are_401_invalid(
    proxy: TestClient, upstream: Any, header: str, error: str
) -> None:
    response = await proxy.get("/fhir/Observation", headers={"Authorization": header})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith(f'Bearer realm="smart-proxy", error="{error}"')
    assert upstream[0].seen == []


async def test_expired_token_is_401(proxy: TestClient, issue_token: Any, store: MemoryStore) -> None:
    token = await issue_token(ttl=0.5)
    await asyncio.sleep(0.6)
    response = await proxy.get("/fhir/Patient/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401


async def test_token_in_query_is_refused_400(proxy: TestClient, issue_token: Any, upstream: Any) -> None:
    token = await issue_token()
    response = await proxy.get(f"/fhir/Patient/p1?access_token={token}")
    assert response.status == 400
    assert upstream[0].seen == []


async def test_scheme_is_case_insensitive(proxy: TestClient, issue_token: Any) -> None:
    token = await issue_token()
    response = await proxy.get("/fhir/Patient/p1", headers={"Authorization": f"bearer {token}"})
    assert response.status == 200


# --- header hygiene ------------------------------------------------------------------


async def test_app_token_never_reaches_upstream_and_spoofed_headers_dropped(
    proxy: TestClient, upstream: Any, issue_token: Any
) -> None:
    token = await issue_token()
    response = await proxy.get(
        "/fhir/Patient/p1",
        headers={
            "Authorization": f"Bearer {token}",
            "Cookie": "session=abc",
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "gopher",
            "Forwarded": "for=6.6.6.6",
            "X-Real-IP": "6.6.6.6",
            "Proxy-Authorization": "Basic eDp5",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "Upgrade": "websocket",
            "X-Custom": "anything",
            "Accept": "application/fhir+json",
            "Prefer": "return=representation",
        },
    )
    assert response.status == 200
    seen = upstream[0].seen[0]
    sent = {name.lower(): value for name, value in seen.headers.items()}
    assert sent["authorization"] == f"Bearer {UPSTREAM_SECRET}"
    assert all(token not in value for value in sent.values())
    for dropped in ("cookie", "forwarded", "x-real-ip", "proxy-authorization", "keep-alive",
                    "te", "upgrade", "x-custom"):
        assert dropped not in sent, dropped
    assert sent["x-forwarded-for"] == "127.0.0.1"
    assert sent["x-forwarded-host"] == "proxy.example.org"
    assert sent["x-forwarded-proto"] == "https"
    assert sent["accept"] == "application/fhir+json"
    assert sent["prefer"] == "return=representation"


async def test_upstream_response_headers_are_allow_listed(
    proxy: TestClient, upstream: Any, issue_token: Any
) -> None:
    upstream[0].answer = lambda request: web.json_response(
        {"resourceType": "Patient", "id": "p1"},
        content_type="application/fhir+json",
        headers={
            "Set-Cookie": "upstream=1",
            "WWW-Authenticate": "Basic",
            "X-Powered-By": "HAPI",
            "Server": "Jetty",
            "ETag": 'W/"3"',
            "Last-Modified": "Tue, 01 Sep 2026 10:00:00 GMT",
        },
    )
    token = await issue_token()
    response = await proxy.get("/fhir/Patient/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    assert "Set-Cookie" not in response.headers
    assert "WWW-Authenticate" not in response.headers
    assert "X-Powered-By" not in response.headers
    assert response.headers.get("Server", "").find("Jetty") == -1
    assert response.headers["ETag"] == 'W/"3"'
    assert response.headers["Last-Modified"] == "Tue, 01 Sep 2026 10:00:00 GMT"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


# --- URL rewriting --------------------------------------------------------------------


async def test_bundle_links_rewritten_but_clinical_text_untouched(
    proxy: TestClient, upstream: Any, issue_token: Any
) -> None:
    fake, server = upstream
    base = base_of(server)
    note = f"Results were also posted at {base}/Observation/o1 and {base}"
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [
            {"relation": "self", "url": f"{base}/Observation?patient=p1"},
            {"relation": "next", "url": f"{base}?_getpages=abc&_getpagesoffset=20"},
            {"relation": "previous", "url": "http://elsewhere.example/fhir/Observation?page=1"},
        ],
        "entry": [
            {
                "fullUrl": f"{base}/Observation/o1",
                "resource": {"resourceType": "Observation", "id": "o1", "note": [{"text": note}],
                             "valueString": base},
                "search": {"mode": "match"},
            }
        ],
    }
    fake.answer = lambda request: web.json_response(bundle, content_type="application/fhir+json")
    token = await issue_token()
    response = await proxy.get("/fhir/Observation?patient=p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    body = orjson.loads(await response.read())
    assert [link["relation"] for link in body["link"]] == ["self", "next"]
    for link in body["link"]:
        assert link["url"].startswith("https://proxy.example.org/fhir/_page?cursor=")
        assert base not in link["url"]
    entry = body["entry"][0]
    assert entry["fullUrl"] == "https://proxy.example.org/fhir/Observation/o1"
    assert entry["resource"]["note"][0]["text"] == note
    assert entry["resource"]["valueString"] == base


async def test_location_headers_rewritten(proxy: TestClient, upstream: Any, issue_token: Any) -> None:
    fake, server = upstream
    base = base_of(server)
    fake.answer = lambda request: web.json_response(
        {"resourceType": "Observation", "id": "new"},
        status=201,
        content_type="application/fhir+json",
        headers={"Location": f"{base}/Observation/new/_history/1",
                 "Content-Location": "http://internal.example/x"},
    )
    token = await issue_token()
    response = await proxy.post(
        "/fhir/Observation",
        json={"resourceType": "Observation"},
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
    )
    assert response.status == 201
    assert response.headers["Location"] == "https://proxy.example.org/fhir/Observation/new/_history/1"
    assert "Content-Location" not in response.headers
    assert fake.bodies[0] == b'{"resourceType": "Observation"}'


async def test_query_string_forwarded_with_its_encoding(
    proxy: TestClient, upstream: Any, issue_token: Any
) -> None:
    token = await issue_token()
    await proxy.get(
        "/fhir/Observation?code=http%3A%2F%2Floinc.org%7C1234-5&date=ge2020-01-01&date=lt2021",
        headers={"Authorization": f"Bearer {token}"},
    )
    seen = upstream[0].seen[0]
    assert seen.path == "/fhir/Observation"
    assert seen.query.getall("code") == ["http://loinc.org|1234-5"]
    assert seen.query.getall("date") == ["ge2020-01-01", "lt2021"]


# --- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/fhir/Patient/..%2F..%2Fadmin", "/fhir/Patient/%2e%2e/x", "/fhir/Patient/a%2Fb",
     "/fhir/Patient/a%00b", "/fhir/Patient/" + "x" * 65],
)
async def test_unsafe_paths_are_400(proxy: TestClient, upstream: Any, issue_token: Any, path: str) -> None:
    token = await issue_token()
    status_line = await raw_get(proxy, path, token)
    assert status_line.startswith("HTTP/1.1 400 ")
    assert upstream[0].seen == []


async def raw_get(client: TestClient, path: str, token: str) -> str:
    """Send ``path`` byte for byte (an HTTP client library would normalise it)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    await writer.drain()
    line = (await reader.readline()).decode()
    writer.close()
    return line


async def test_body_over_limit_is_413(aiohttp_client: Any, upstream: Any, store: MemoryStore,
                                      issue_token: Any) -> None:
    from smart_proxy.config import Limits

    config = make_config(base_of(upstream[1]), limits=Limits(max_request_body_bytes=2048))
    client = await aiohttp_client(create_app(config, store=store))
    token = await issue_token()
    response = await client.post(
        "/fhir/Observation", data=b"x" * 5000,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
    )
    assert response.status == 413
    body = await response.json(content_type="application/fhir+json")
    assert body["issue"][0]["code"] == "too-costly"
    assert upstream[0].seen == []


async def test_unreachable_upstream_is_502(aiohttp_client: Any, store: MemoryStore, issue_token: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = await aiohttp_client(create_app(make_config(f"http://127.0.0.1:{port}/fhir"), store=store))
    token = await issue_token()
    response = await client.get("/fhir/Patient/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 502
    body = await response.json(content_type="application/fhir+json")
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "transient"
    assert str(port) not in await response.text()


async def test_slow_upstream_is_504(aiohttp_client: Any, upstream: Any, store: MemoryStore,
                                    issue_token: Any) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    upstream[0].answer = slow
    config = make_config(base_of(upstream[1]), timeout_s=0.3)
    client = await aiohttp_client(create_app(config, store=store))
    token = await issue_token()
    response = await client.get("/fhir/Patient/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 504
    body = await response.json(content_type="application/fhir+json")
    assert body["issue"][0]["code"] == "timeout"


@pytest.mark.parametrize("status", [401, 403])
async def test_upstream_refusing_proxy_credential_is_502(
    proxy: TestClient, upstream: Any, issue_token: Any, status: int
) -> None:
    upstream[0].answer = lambda request: web.json_response(
        {"resourceType": "OperationOutcome"}, status=status, headers={"WWW-Authenticate": "Bearer"}
    )
    token = await issue_token()
    response = await proxy.get("/fhir/Patient/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 502
    assert "WWW-Authenticate" not in response.headers


async def test_malformed_upstream_json_is_502(proxy: TestClient, upstream: Any, issue_token: Any) -> None:
    upstream[0].answer = lambda request: web.Response(
        body=b'{"resourceType": "Patient", "id": ', content_type="application/fhir+json"
    )
    token = await issue_token()
    response = await proxy.get("/fhir/Patient/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 502


async def test_upstream_404_passes_through(proxy: TestClient, upstream: Any, issue_token: Any) -> None:
    outcome = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": "not-found"}]}
    upstream[0].answer = lambda request: web.json_response(
        outcome, status=404, content_type="application/fhir+json")
    token = await issue_token()
    # Patient/nope would be another patient's: the policy answers 404 without calling upstream.
    response = await proxy.get("/fhir/Observation/nope", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 404
    assert orjson.loads(await response.read()) == outcome


class BrokenStore(MemoryStore):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def get(self, namespace: str, key: str) -> Any:
        if namespace == "secret":  # start-up reads the paging key; the request path must fail
            return await super().get(namespace, key)
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (StoreUnavailable("redis at 10.0.0.5 refused"), 503, "transient"),
        (RuntimeError("internal detail at 10.0.0.5"), 500, "exception"),
    ],
)
async def test_store_failure_refuses_without_details(
    aiohttp_client: Any, upstream: Any, error: Exception, status: int, code: str
) -> None:
    client = await aiohttp_client(create_app(make_config(base_of(upstream[1])), store=BrokenStore(error)))
    response = await client.get("/fhir/Patient/p1", headers={"Authorization": "Bearer abcdefgh"})
    assert response.status == status
    text = await response.text()
    assert orjson.loads(text)["issue"][0]["code"] == code
    assert "10.0.0.5" not in text and "Traceback" not in text
    assert upstream[0].seen == []


async def test_json_that_is_not_a_resource_is_refused(
    proxy: TestClient, upstream: Any, issue_token: Any
) -> None:
    upstream[0].answer = lambda request: web.json_response([1, 2], content_type="application/fhir+json")
    token = await issue_token()
    response = await proxy.get("/fhir/Patient/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 404
    assert b"[1, 2]" not in await response.read()


async def test_unknown_method_is_405_outcome(proxy: TestClient) -> None:
    response = await proxy.request("TRACE", "/fhir/Patient")
    assert response.status == 405
    body = await response.json(content_type="application/fhir+json")
    assert body["issue"][0]["code"] == "not-supported"


async def test_request_id_echoed_when_safe_and_replaced_when_not(proxy: TestClient) -> None:
    ok = await proxy.get("/healthz", headers={"X-Request-Id": "abcdef12345"})
    assert ok.headers["X-Request-Id"] == "abcdef12345"
    bad = await proxy.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert bad.headers["X-Request-Id"] != "<script>"
    assert len(bad.headers["X-Request-Id"]) == 16


# --- metadata -------------------------------------------------------------------------


async def test_metadata_is_public_and_carries_oauth_uris(proxy: TestClient, upstream: Any) -> None:
    upstream[0].answer = lambda request: web.json_response(
        {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "status": "active",
         "rest": [{"mode": "server", "security": {"description": "upstream basic auth"},
                   "resource": [{"type": "Patient"}]}]},
        content_type="application/fhir+json",
    )
    response = await proxy.get("/fhir/metadata")
    assert response.status == 200
    body = orjson.loads(await response.read())
    security = body["rest"][0]["security"]
    ext = security["extension"][0]
    assert ext["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    uris = {e["url"]: e["valueUri"] for e in ext["extension"]}
    assert uris["authorize"] == "https://proxy.example.org/auth/authorize"
    assert uris["token"] == "https://proxy.example.org/auth/token"
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    assert "description" not in security
    assert body["rest"][0]["resource"] == [{"type": "Patient"}]
    assert body["implementation"]["url"] == "https://proxy.example.org/fhir"
    sent = upstream[0].seen[0]
    assert sent.headers["Authorization"] == f"Bearer {UPSTREAM_SECRET}"


# --- health ---------------------------------------------------------------------------


async def test_healthz_and_readyz(proxy: TestClient, upstream: Any) -> None:
    upstream[0].answer = lambda request: web.json_response(
        {"resourceType": "CapabilityStatement"}, content_type="application/fhir+json")
    assert (await proxy.get("/healthz")).status == 200
    ready = await proxy.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {"status": "ready", "checks": {"store": "ok", "upstream": "ok"}}


async def test_readyz_503_when_upstream_down(aiohttp_client: Any, store: MemoryStore) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = await aiohttp_client(create_app(make_config(f"http://127.0.0.1:{port}/fhir"), store=store))
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert await ready.json() == {"status": "not ready", "checks": {"store": "ok", "upstream": "unavailable"}}
