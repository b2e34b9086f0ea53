"""The sandbox, the proxy and a static test app on real loopback ports, for third-party clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from yarl import URL

from app_registry import load_registry_text
from smart_proxy.app import create_app
from smart_proxy.config import Config, UpstreamConfig
from smart_proxy.config.model import IdentityConfig
from smart_proxy.sandbox import create_sandbox_app
from tests.processes import free_port

HERE = Path(__file__).resolve().parent
USERS = HERE.parent.parent / "smart_proxy" / "demo" / "users.yaml"
CLIENT_ID = "third-party-test-app"


@dataclass(frozen=True)
class Servers:
    fhir_base: str
    app_origin: str


def registry_for(app_origin: str) -> str:
    return f"""
apps:
  - client_id: {CLIENT_ID}
    name: Third-Party Test App
    client_type: public
    audience: patient
    launch_types: [standalone]
    redirect_uris: ["{app_origin}/callback.html"]
    privacy_policy_uri: https://example.org/privacy
    scopes: [launch/patient, openid, fhirUser, offline_access, patient/Patient.rs,
             patient/Observation.rs, patient/Condition.rs]
    lifecycle: [{{status: approved, date: 2026-01-01, by: tests}}]
"""


async def _fhir_client_js(request: web.Request) -> web.FileResponse:
    return web.FileResponse(HERE / "node_modules" / "fhirclient" / "build" / "fhir-client.js")


def _static_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/fhir-client.js", _fhir_client_js)
    app.router.add_static("/", HERE / "app")
    return app


async def _serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@asynccontextmanager
async def running_servers(tmp_path: Path) -> AsyncIterator[Servers]:
    sandbox_port, proxy_port, app_port = free_port(), free_port(), free_port()
    app_origin = f"http://127.0.0.1:{app_port}"
    config = Config(
        public_url=URL(f"http://127.0.0.1:{proxy_port}"),
        upstream=UpstreamConfig(url=URL(f"http://127.0.0.1:{sandbox_port}/fhir")),
        apps=tmp_path / "apps.yaml",
        state="memory",
        identity=IdentityConfig(local_users=USERS),
    )
    registry = load_registry_text(registry_for(app_origin), "apps.yaml")
    runners = [
        await _serve(create_sandbox_app(), sandbox_port),
        await _serve(create_app(config, registry=registry), proxy_port),
        await _serve(_static_app(), app_port),
    ]
    try:
        yield Servers(fhir_base=f"http://127.0.0.1:{proxy_port}/fhir", app_origin=app_origin)
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
