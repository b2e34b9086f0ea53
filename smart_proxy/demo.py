"""``smart-proxy demo``: the sandbox FHIR server and the proxy in one process.

Memory state, the packaged demo app registry, and the sandbox's synthetic
patients.  Development conveniences are explicit and announced: the sandbox
listens on loopback only and carries no security of its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path

from aiohttp import web

from app_registry import Registry
from yarl import URL

from .access_log import AccessLogger
from .app import create_app
from .config import Config, UpstreamConfig
from .config.model import IdentityConfig
from .demo_app import DEMO_APP_PORT, create_demo_app
from .grants import Grant, issue_access_token
from .keys import REGISTRY, STORE
from .sandbox import create_sandbox_app, generate

log = logging.getLogger("smart_proxy.demo")

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_TOKEN_TTL_S = 3600
DEMO_CLIENT = "demo-patient-app"


def demo_config(host: str, port: int, sandbox_port: int) -> Config:
    return Config(
        public_url=URL(f"http://{host}:{port}"),
        upstream=UpstreamConfig(url=URL(f"http://{host}:{sandbox_port}/fhir")),
        apps=DEMO_DIR / "apps.yaml",
        state="memory",
        identity=IdentityConfig(local_users=DEMO_DIR / "users.yaml"),
        host=host,
        port=port,
    )


def first_patient_id(seed: int = 42) -> str:
    return next(r["id"] for r in generate(seed, 8) if r["resourceType"] == "Patient")


async def serve_demo(host: str, port: int, sandbox_port: int) -> None:
    config = demo_config(host, port, sandbox_port)
    sandbox = web.AppRunner(create_sandbox_app(), access_log=None)
    proxy_app = create_app(config)
    proxy = web.AppRunner(proxy_app, access_log_class=AccessLogger)
    await sandbox.setup()
    await web.TCPSite(sandbox, host, sandbox_port).start()
    await proxy.setup()
    await web.TCPSite(proxy, host, port).start()
    demo_app = web.AppRunner(create_demo_app(config), access_log=None)
    await demo_app.setup()
    try:
        await web.TCPSite(demo_app, "127.0.0.1", DEMO_APP_PORT).start()
        app_url = f"http://127.0.0.1:{DEMO_APP_PORT}/"
    except OSError:
        app_url = f"(port {DEMO_APP_PORT} is busy: the demo app is not running)"
    try:
        patient = first_patient_id()
        now = time.time()
        scopes = demo_scopes(proxy_app[REGISTRY])
        grant = Grant(
            grant_id=str(uuid.uuid4()),
            client_id=DEMO_CLIENT,
            scopes=scopes,
            issued_at=now,
            expires_at=now + DEMO_TOKEN_TTL_S,
            patient=patient,
        )
        token = await issue_access_token(proxy_app[STORE], grant, now)
        log.warning("demo: issued a development access token for patient %s", patient)
        print(banner(config, patient, token, scopes, app_url), flush=True)
        await asyncio.Event().wait()
    finally:
        await demo_app.cleanup()
        await proxy.cleanup()
        await sandbox.cleanup()


def demo_scopes(registry: Registry) -> tuple[str, ...]:
    """The demo patient app's unfiltered patient scopes, as if the patient had allowed them all."""
    app = registry[DEMO_CLIENT]
    return tuple(s for s in app.scopes if s.startswith("patient/") and "?" not in s)


def banner(config: Config, patient: str, token: str, scopes: tuple[str, ...], app_url: str) -> str:
    base = config.fhir_base
    return f"""
smart-proxy demo: for development only (memory state, synthetic data)

  FHIR base (through the proxy)  {base}
  CapabilityStatement            {base}/metadata
  Readiness                      {config.public_url}/readyz
  Sandbox FHIR server (direct)   {config.upstream.url}   (no security; loopback only)
  App registry                   {config.apps}

  Walk through a SMART standalone launch (login, consent, token) with the demo app:
    {app_url}
  Demo users (password = username + "-demo-password"; details in {DEMO_DIR / "users.yaml"}):
    amy        patient p1, may also act for her son p2 (patient picker)
    omar       patient p3, two-step verification enrolled (TOTP secret in users.yaml)
    amy-proxy  Amy as Theo's parent (RelatedPerson), acts for p2
    linh       clinician (Practitioner/prac-1)
  Connected apps and revoke: {config.public_url}/patient/apps

  A development access token of {DEMO_CLIENT} for patient {patient}, valid one hour,
  scopes {' '.join(scopes)}:
    {token}

  Try:
    curl -H "Authorization: Bearer {token}" {base}/Patient/{patient}
    curl -H "Authorization: Bearer {token}" "{base}/Observation?patient={patient}&category=laboratory"

Press Ctrl+C to stop.
"""


def run_demo(host: str = "127.0.0.1", port: int = 8080, sandbox_port: int = 8081) -> None:
    try:
        asyncio.run(serve_demo(host, port, sandbox_port))
    except KeyboardInterrupt:
        pass
