"""Fixtures for the authorization pages: a proxy on a fake clock, a browser, PKCE values.

``auth_store`` is the memory store by default; tests where storage matters run
on both backends with ``@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)``
(Redis: the real server at 127.0.0.1:6379 under a random key prefix).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from app_registry import Registry, load_registry
from smart_proxy.app import create_app
from smart_proxy.config.model import EhrLaunchConfig, IdentityConfig
from smart_proxy.identity import hash_secret
from smart_proxy.state import MemoryStore, StateStore
from tests.redis_store import isolated_redis_store
from tests.support import DEMO_APPS, make_config

from .authz_browser import PUBLIC, Browser

DEMO_USERS = Path(__file__).resolve().parents[3] / "smart_proxy" / "demo" / "users.yaml"
START = datetime(2026, 3, 2, tzinfo=UTC).timestamp()  # demo apps approved; a TOTP step boundary
FHIR_BASE = PUBLIC + "/fhir"
PATIENT_APP = "demo-patient-app"
PATIENT_REDIRECT = "http://127.0.0.1:9999/callback"
CLINICIAN_APP = "demo-clinician-app"
CLINICIAN_REDIRECT = "http://127.0.0.1:9998/callback"
EHR_SECRET = "ehr-launch-credential-for-tests"
PASSWORDS = {
    "amy": "amy-demo-password",
    "omar": "omar-demo-password",
    "amy-proxy": "amy-proxy-demo-password",
    "linh": "linh-demo-password",
}
OMAR_TOTP = "USXUK6LTOM2NGXMF2MR3SWTQONFCZWRR"
BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
)
PATIENT_SCOPES = (
    "launch/patient openid fhirUser offline_access patient/Patient.rs "
    "patient/Observation.rs patient/Condition.rs patient/Immunization.rs"
)


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def ehr_credential_hash() -> str:
    return hash_secret(EHR_SECRET)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def auth_store(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[StateStore]:
    if getattr(request, "param", "memory") == "memory":
        memory = MemoryStore(clock=clock)
        yield memory
        await memory.close()
        return
    async with isolated_redis_store("authorize") as store:
        yield store


ProxyFactory = Callable[..., Awaitable[Browser]]


@pytest.fixture
def make_proxy(
    aiohttp_client: Any, auth_store: StateStore, clock: FakeClock, ehr_credential_hash: str
) -> ProxyFactory:
    """``await make_proxy(registry=..., identity=..., **config)`` → a Browser on a fresh app."""

    async def make(registry: Registry | None = None, **overrides: Any) -> Browser:
        from aiohttp import DummyCookieJar

        overrides.setdefault("identity", IdentityConfig(local_users=DEMO_USERS))
        overrides.setdefault("ehr_launch", EhrLaunchConfig(credential_hash=ehr_credential_hash))
        config = make_config("http://127.0.0.1:9/fhir", **overrides)
        app = create_app(
            config,
            store=auth_store,
            clock=clock,
            registry=registry if registry is not None else load_registry(DEMO_APPS),
        )
        client = await aiohttp_client(app, cookie_jar=DummyCookieJar())
        return Browser(client)

    return make


@pytest.fixture
async def browser(make_proxy: ProxyFactory) -> Browser:
    return await make_proxy()


def authorize_url(**changes: str | None) -> str:
    """A valid standalone authorize URL for the demo patient app; ``None`` drops a parameter."""
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": PATIENT_APP,
        "redirect_uri": PATIENT_REDIRECT,
        "scope": PATIENT_SCOPES,
        "state": "st-" + secrets.token_hex(4),
        "aud": FHIR_BASE,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return (
        PUBLIC + "/auth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})
    )
