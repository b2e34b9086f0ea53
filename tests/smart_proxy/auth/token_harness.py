"""A running proxy for the token-side tests: registry, store, fake clock, client keys.

Test modules import the fixtures they use from here (``harness_fixture`` etc.,
registered under the names ``harness``, ``token_store``, ``clock`` and
``client_keys``), so this directory needs no shared conftest.

* The store is the memory backend or the real Redis at 127.0.0.1:6379 (under a
  random key prefix, removed afterwards); the application clock is fake (POSIX
  seconds) and drives every expiry the code checks itself.
* Authorization codes are minted straight into the store, exactly as the
  authorize/consent side writes them (``CODE_NS`` keyed by the code's SHA-256).
* Client keys (RS384 and ES384) come from :mod:`.token_client_keys`; the JWKS
  server's certificate from :mod:`.token_tls`.
* The upstream FHIR server is a tiny aiohttp app that returns a Patient.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import ssl
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from app_registry import Registry, load_registry_text
from smart_proxy.app import create_app
from smart_proxy.auth.client_jwks import CLIENT_JWKS_TLS
from smart_proxy.auth.records import CODE_NS, CODE_TTL_S, AuthorizationCode
from smart_proxy.consent import ConsentRecord, ConsentStore
from smart_proxy.grants import token_digest
from smart_proxy.identity.passwords import hash_secret
from smart_proxy.state import MemoryStore, StateStore
from tests.redis_store import isolated_redis_store
from tests.smart_proxy.auth.token_client_keys import PUBLIC_URL, START, ClientKeys, basic
from tests.support import make_config

FHIR_BASE = f"{PUBLIC_URL}/fhir"
SMART_STYLE_URL = f"{PUBLIC_URL}/auth/smart-style.json"
REDIRECT = "http://127.0.0.1:9999/callback"
SECRET = "s3cret+with%signs and spaces"
SECRET_HASH = hash_secret(SECRET, n=2**10, r=8, p=1)
PATIENT_SCOPES = (
    "launch/patient", "openid", "fhirUser", "offline_access",
    "patient/Patient.rs", "patient/Observation.rs",
)
SUSPENDED_AT = START + 1800  # "later-suspended-app" is suspended 30 minutes after START


def _instant(posix: float) -> str:
    return dt.datetime.fromtimestamp(posix, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- registry -----------------------------------------------------------------------


def registry_yaml(keys: ClientKeys, jwks_uri: str | None = None) -> str:
    approved = "lifecycle: [{status: approved, date: '2020-01-01', by: admin@ehr.example}]"
    patient_app = (
        "client_type: public\n    audience: patient\n    launch_types: [standalone]\n"
        f"    redirect_uris: ['{REDIRECT}']\n"
        "    privacy_policy_uri: https://apps.example/privacy\n"
        "    scopes: [launch/patient, openid, fhirUser, offline_access, online_access,"
        " patient/Patient.rs, patient/Observation.rs]"
    )
    jwks = json.dumps(keys.jwks())
    apps = f"""
apps:
  - client_id: public-app
    name: Public App
    {patient_app}
    {approved}
  - client_id: other-public-app
    name: Other Public App
    {patient_app}
    {approved}
  - client_id: short-lived-app
    name: Short Lived App
    {patient_app}
    token_lifetimes: {{access_token_seconds: 600, refresh_token_days: 120}}
    {approved}
  - client_id: secret-app
    name: Secret App
    client_type: confidential-symmetric
    client_secret_hash: "{SECRET_HASH}"
    audience: clinician
    launch_types: [standalone]
    redirect_uris: ['{REDIRECT}']
    scopes: [launch/patient, openid, fhirUser, offline_access, patient/Patient.rs]
    {approved}
  - client_id: asym-app
    name: Asymmetric App
    client_type: confidential-asymmetric
    jwks: {jwks}
    audience: clinician
    launch_types: [standalone]
    redirect_uris: ['{REDIRECT}']
    scopes: [launch/patient, openid, fhirUser, offline_access, patient/Patient.rs]
    {approved}
  - client_id: backend-app
    name: Backend App
    client_type: confidential-asymmetric
    jwks: {jwks}
    audience: system
    launch_types: [backend]
    scopes: [system/Patient.rs, system/Observation.rs]
    {approved}
  - client_id: short-backend-app
    name: Short Backend App
    client_type: confidential-asymmetric
    jwks: {jwks}
    audience: system
    launch_types: [backend]
    scopes: [system/*.rs]
    token_lifetimes: {{access_token_seconds: 120}}
    {approved}
  - client_id: suspended-app
    name: Suspended App
    {patient_app}
    lifecycle:
      - {{status: approved, date: '2020-01-01', by: admin@ehr.example}}
      - {{status: suspended, date: '2021-01-01', by: sec@ehr.example, reason: phishing}}
  - client_id: later-suspended-app
    name: Later Suspended App
    {patient_app}
    lifecycle:
      - {{status: approved, date: '2020-01-01', by: admin@ehr.example}}
      - {{status: suspended, date: '{_instant(SUSPENDED_AT)}', by: sec@ehr.example, reason: x}}
  - client_id: pending-app
    name: Pending App
    {patient_app}
    lifecycle: [{{status: pending, date: '2020-01-01', by: registration-form}}]
"""
    if jwks_uri is not None:
        apps += f"""  - client_id: uri-app
    name: JWKS URI App
    client_type: confidential-asymmetric
    jwks_uri: '{jwks_uri}'
    audience: system
    launch_types: [backend]
    scopes: [system/Patient.rs]
    {approved}
"""
    return apps


# --- the running proxy --------------------------------------------------------------


@dataclass
class Harness:
    client: TestClient[web.Request, web.Application]
    store: StateStore
    clock: FakeClock
    keys: ClientKeys
    consents: ConsentStore = field(init=False)

    def __post_init__(self) -> None:
        self.consents = ConsentStore(self.store)

    @property
    def app(self) -> web.Application:
        app = self.client.app
        assert app is not None
        return app

    async def consent(self, client_id: str = "public-app", **fields: Any) -> str:
        record = ConsentRecord(
            consent_id=fields.pop("consent_id", uuid.uuid4().hex),
            patient=fields.pop("patient", "p1"),
            client_id=client_id,
            granted_scopes=tuple(fields.pop("granted_scopes", PATIENT_SCOPES)),
            created_at=self.clock() - 10,
            **fields,
        )
        await self.consents.save(record)
        return record.consent_id

    async def mint_code(
        self, client_id: str = "public-app", *, consent: bool = True, **fields: Any
    ) -> tuple[str, str]:
        """Store a code as the authorize side does; returns ``(code, code_verifier)``."""
        code, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        values: dict[str, Any] = {
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": create_s256_code_challenge(verifier),
            "scopes": PATIENT_SCOPES,
            "issued_at": self.clock(),
            "username": "alice",
            "fhir_user": "Patient/p1",
            "patient": "p1",
            "nonce": "nonce-123",
            "auth_time": self.clock() - 30,
            **fields,
        }
        if consent and "consent_id" not in values:
            values["consent_id"] = await self.consent(client_id)
        record = AuthorizationCode(**values)
        await self.store.put(CODE_NS, token_digest(code), record.to_json(), ttl=CODE_TTL_S)
        return code, verifier

    async def post(self, path: str, data: Mapping[str, str], **headers: str) -> Any:
        return await self.client.post(path, data=dict(data), headers=headers)

    async def token(self, data: Mapping[str, str], headers: Mapping[str, str] | None = None) -> Any:
        return await self.client.post("/auth/token", data=dict(data), headers=dict(headers or {}))

    async def exchange(
        self, code: str, verifier: str, client_id: str = "public-app", **more: str
    ) -> Any:
        form = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier, "client_id": client_id, **more,
        }
        return await self.token(form)

    async def tokens(self, client_id: str = "public-app", **fields: Any) -> dict[str, Any]:
        """A successful code exchange for a public client; the JSON token response."""
        code, verifier = await self.mint_code(client_id, **fields)
        response = await self.exchange(code, verifier, client_id)
        assert response.status == 200, await response.text()
        return dict(await response.json())

    async def fhir_status(self, access_token: str) -> int:
        response = await self.client.get(
            "/fhir/Patient/p1", headers={"Authorization": f"Bearer {access_token}"}
        )
        await response.read()
        return response.status

    async def introspect(self, token: str, **more: str) -> dict[str, Any]:
        response = await self.post(
            "/auth/introspect", {"token": token, **more}, **basic("secret-app", SECRET)
        )
        assert response.status == 200, await response.text()
        return dict(await response.json())


async def refusal(response: Any) -> tuple[int, str]:
    """Status and error code of an RFC 6749 §5.2 error, after checking its shape."""
    body = await response.json()
    assert set(body) == {"error", "error_description"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    return int(response.status), str(body["error"])


OK: tuple[int, str | None] = (200, None)
REFUSED: tuple[int, str | None] = (401, "invalid_client")


async def status_and_error(response: Any) -> tuple[int, str | None]:
    body = await response.json()
    return int(response.status), body.get("error")


async def _upstream_patient(request: web.Request) -> web.Response:
    return web.json_response(
        {"resourceType": "Patient", "id": "p1"}, content_type="application/fhir+json"
    )


async def _redis_store() -> AsyncIterator[StateStore]:
    async with isolated_redis_store("token") as store:
        yield store


BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(name="token_store", params=BACKENDS)
async def token_store_fixture(request: pytest.FixtureRequest) -> AsyncIterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    async for store in _redis_store():
        yield store


@pytest.fixture(name="client_keys", scope="session")
def client_keys_fixture() -> ClientKeys:
    return ClientKeys.generate()


@pytest.fixture(name="clock")
def clock_fixture() -> FakeClock:
    return FakeClock()


async def start_proxy(
    aiohttp_client: Any,
    aiohttp_server: Any,
    store: StateStore,
    clock: FakeClock,
    keys: ClientKeys,
    *,
    jwks_uri: str | None = None,
    jwks_tls: ssl.SSLContext | None = None,
) -> Harness:
    upstream = web.Application()
    upstream.router.add_get("/{tail:.*}", _upstream_patient)
    server = await aiohttp_server(upstream)
    registry: Registry = load_registry_text(registry_yaml(keys, jwks_uri), "token-tests.yaml")
    app = create_app(
        make_config(str(server.make_url("/fhir"))), store=store, registry=registry, clock=clock
    )
    if jwks_tls is not None:
        app[CLIENT_JWKS_TLS] = jwks_tls
    return Harness(await aiohttp_client(app), store, clock, keys)


@pytest.fixture(name="harness")
async def harness_fixture(
    aiohttp_client: Any,
    aiohttp_server: Any,
    token_store: StateStore,
    clock: FakeClock,
    client_keys: ClientKeys,
) -> Harness:
    return await start_proxy(aiohttp_client, aiohttp_server, token_store, clock, client_keys)
