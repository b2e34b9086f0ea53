"""A proxy in front of the project's sandbox FHIR server, the sandbox recording what reached it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from smart_proxy.app import create_app
from smart_proxy.sandbox import SANDBOX_STORE, SandboxStore, create_sandbox_app
from smart_proxy.state import MemoryStore
from tests.support import make_config


@pytest.fixture
async def sandbox(aiohttp_server: Any) -> TestServer:
    """The sandbox; ``.seen`` holds (method, path and query, headers) of every request,
    ``.bodies`` their bodies and ``.posted`` the Bundles posted to the base."""
    app = create_sandbox_app()
    seen: list[tuple[str, str, dict[str, str]]] = []
    bodies: list[bytes] = []
    posted: list[Any] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        seen.append((request.method, request.path_qs, dict(request.headers)))
        bodies.append(body)
        if request.method == "POST" and request.path == "/fhir":
            posted.append(orjson.loads(body))
        return await handler(request)

    app.middlewares.append(record)
    server = await aiohttp_server(app)
    server.seen, server.bodies, server.posted = seen, bodies, posted  # type: ignore[attr-defined]
    return server


@pytest.fixture
def stored(sandbox: TestServer) -> SandboxStore:
    return sandbox.app[SANDBOX_STORE]


@pytest.fixture
async def proxy(aiohttp_client: Any, sandbox: TestServer, store: MemoryStore) -> TestClient:
    return await aiohttp_client(create_app(make_config(str(sandbox.make_url("/fhir"))), store=store))
