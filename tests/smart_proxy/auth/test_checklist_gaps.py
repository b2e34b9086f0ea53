"""Token-side MUST items of smart-conformance.md §1-12 that no other test pinned exactly.

Each test names its checklist item(s).  The proxy runs on the memory store (these
are response-shape checks, not storage semantics) in front of an upstream that
answers ``metadata`` with a CapabilityStatement and ``{Type}/{id}`` with that
resource, so reads can check ``resourceType`` and ``id``, not just the status.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import KeySet

from app_registry import ClientType, LaunchType, load_registry_text
from smart_proxy.app import create_app
from smart_proxy.cors import trusted_origins
from smart_proxy.state import MemoryStore
from tests.smart_proxy.auth.token_client_keys import START, ClientKeys, backend_form
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    FHIR_BASE,
    PUBLIC_URL,
    REDIRECT,
    SECRET_HASH,
    FakeClock,
    Harness,
    client_keys_fixture,
    clock_fixture,
    refusal,
    registry_yaml,
)
from tests.support import make_config

APP_ORIGIN = "http://127.0.0.1:9999"  # the origin of public-app's registered redirect URI


async def _upstream(request: web.Request) -> web.Response:
    parts = request.path.strip("/").split("/")  # fhir, Type, id
    if parts[-1] == "metadata":
        body: dict[str, Any] = {
            "resourceType": "CapabilityStatement", "status": "active", "fhirVersion": "4.0.1",
            "kind": "instance", "format": ["json"], "rest": [{"mode": "server"}],
        }
    elif len(parts) == 3:
        body = {"resourceType": parts[1], "id": parts[2]}
        if parts[1] == "Encounter":
            body["subject"] = {"reference": "Patient/p1"}
    else:
        body = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    return web.json_response(body, content_type="application/fhir+json")


@pytest.fixture
async def proxy(
    aiohttp_client: Any, aiohttp_server: Any, clock: FakeClock, client_keys: ClientKeys
) -> Harness:
    upstream = web.Application()
    upstream.router.add_get("/{tail:.*}", _upstream)
    server = await aiohttp_server(upstream)
    registry = load_registry_text(registry_yaml(client_keys), "token-tests.yaml")
    store = MemoryStore()
    app = create_app(
        make_config(str(server.make_url("/fhir"))), store=store, registry=registry, clock=clock
    )
    return Harness(await aiohttp_client(app), store, clock, client_keys)


async def read(h: Harness, path: str, token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = await h.client.get(f"/fhir/{path}", headers=headers)
    return response.status, json.loads(await response.read())


# --- §1 discovery ----------------------------------------------------------------------


async def test_item_2_required_metadata_fields_have_their_types(proxy: Harness) -> None:
    response = await proxy.client.get(
        "/fhir/.well-known/smart-configuration", headers={"Accept": "application/json"}
    )
    doc = await response.json()
    for key in ("authorization_endpoint", "token_endpoint"):
        assert isinstance(doc[key], str) and doc[key].strip(), key
    for key in ("capabilities", "grant_types_supported", "code_challenge_methods_supported"):
        value = doc[key]
        assert isinstance(value, list) and value, key
        assert all(isinstance(item, str) and item.strip() for item in value), key


@pytest.mark.parametrize("with_token", [False, True], ids=["no-token", "unrelated-scope-token"])
async def test_item_11_metadata_is_public_and_no_scope_applies(
    proxy: Harness, with_token: bool
) -> None:
    token = None
    if with_token:  # a live token whose scopes cover nothing but Observation
        body = await proxy.tokens(scopes=("patient/Observation.rs",))
        token = body["access_token"]
    response = await proxy.client.get(
        "/fhir/metadata",
        headers={} if token is None else {"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200
    assert response.content_type in ("application/fhir+json", "application/json")
    doc = json.loads(await response.read())
    assert (doc["resourceType"], doc["fhirVersion"]) == ("CapabilityStatement", "4.0.1")


# --- §2 registration with Inferno's own values -------------------------------------------

INFERNO = "https://inferno.healthit.gov/suites"
INFERNO_REGISTRY = f"""
apps:
  - client_id: inferno-public
    name: Inferno public client
    client_type: public
    audience: patient
    launch_types: [standalone]
    redirect_uris: ['{INFERNO}/custom/smart/redirect']
    privacy_policy_uri: https://inferno.healthit.gov/privacy
    scopes: [launch/patient, openid, fhirUser, offline_access, patient/*.rs]
    lifecycle: [{{status: approved, date: '2026-01-01', by: tests}}]
  - client_id: inferno-ehr
    name: Inferno EHR practitioner client
    client_type: confidential-symmetric
    client_secret_hash: "{SECRET_HASH}"
    audience: clinician
    launch_types: [ehr, standalone]
    launch_uri: '{INFERNO}/custom/smart/launch'
    redirect_uris: ['{INFERNO}/custom/smart/redirect']
    scopes: [launch, launch/patient, openid, fhirUser, offline_access, user/*.rs, patient/*.rs]
    lifecycle: [{{status: approved, date: '2026-01-01', by: tests}}]
  - client_id: inferno-asymmetric
    name: Inferno asymmetric client
    client_type: confidential-asymmetric
    jwks_uri: '{INFERNO}/custom/smart_stu2/.well-known/jwks.json'
    audience: patient
    launch_types: [standalone]
    redirect_uris: ['{INFERNO}/custom/smart/redirect']
    privacy_policy_uri: https://inferno.healthit.gov/privacy
    scopes: [launch/patient, openid, fhirUser, offline_access, patient/*.rs]
    lifecycle: [{{status: approved, date: '2026-01-01', by: tests}}]
  - client_id: inferno-bulk
    name: Inferno bulk data client
    client_type: confidential-asymmetric
    jwks_uri: '{INFERNO}/custom/g10_certification/.well-known/jwks.json'
    audience: system
    launch_types: [backend]
    scopes: [system/*.read]
    lifecycle: [{{status: approved, date: '2026-01-01', by: tests}}]
"""


def test_item_19_20_inferno_registration_data_round_trips() -> None:
    registry = load_registry_text(INFERNO_REGISTRY, "inferno.yaml")
    public, ehr = registry["inferno-public"], registry["inferno-ehr"]
    asym, bulk = registry["inferno-asymmetric"], registry["inferno-bulk"]
    assert public.client_type is ClientType.PUBLIC
    assert ehr.client_type is ClientType.CONFIDENTIAL_SYMMETRIC
    assert asym.client_type is bulk.client_type is ClientType.CONFIDENTIAL_ASYMMETRIC
    for app in (public, ehr, asym):
        assert app.redirect_uris == (f"{INFERNO}/custom/smart/redirect",)
        assert app.check_redirect_uri(f"{INFERNO}/custom/smart/redirect")
    assert ehr.launch_uri == f"{INFERNO}/custom/smart/launch"
    assert LaunchType.EHR in ehr.launch_types
    assert asym.jwks_uri == f"{INFERNO}/custom/smart_stu2/.well-known/jwks.json"
    assert bulk.jwks_uri == f"{INFERNO}/custom/g10_certification/.well-known/jwks.json"
    assert bulk.launch_types == frozenset({LaunchType.BACKEND})
    assert bulk.scopes == ("system/*.read",)
    # Inferno's token requests carry Origin: https://inferno.healthit.gov (item 54).
    now = datetime.fromtimestamp(START, UTC)
    assert "https://inferno.healthit.gov" in trusted_origins(registry, now)


# --- §5 token endpoint -------------------------------------------------------------------


async def test_item_54_token_response_carries_cors_for_the_public_clients_origin(
    proxy: Harness,
) -> None:
    code, verifier = await proxy.mint_code()
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": "public-app",
    }
    response = await proxy.token(form, {"Origin": APP_ORIGIN})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "Origin" in response.headers.getall("Vary")
    assert "Access-Control-Allow-Credentials" not in response.headers
    # the browser app must be able to read a refusal too
    refused = await proxy.token({**form, "code": "BAD_CODE"}, {"Origin": APP_ORIGIN})
    assert await refusal(refused) == (400, "invalid_grant")
    assert refused.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    # a refresh from the browser app too
    body = await response.json()
    refreshed = await proxy.token(
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        {"Origin": APP_ORIGIN},
    )
    assert refreshed.status == 200
    assert refreshed.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


async def test_item_54_no_cors_for_an_unregistered_origin(proxy: Harness) -> None:
    code, verifier = await proxy.mint_code()
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": "public-app",
    }
    response = await proxy.token(form, {"Origin": "https://evil.example"})
    assert response.status == 200  # CORS is the browser's business; the answer is unreadable
    assert "Access-Control-Allow-Origin" not in response.headers


# --- §6 launch context ---------------------------------------------------------------------


async def test_item_57_patient_is_readable_before_and_after_refresh(proxy: Harness) -> None:
    first = await proxy.tokens()
    assert first["patient"] == "p1"
    status, patient = await read(proxy, f"Patient/{first['patient']}", first["access_token"])
    assert status == 200
    assert (patient["resourceType"], patient["id"]) == ("Patient", first["patient"])
    response = await proxy.token(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    refreshed = await response.json()
    assert refreshed["patient"] == first["patient"]
    status, patient = await read(proxy, f"Patient/{refreshed['patient']}",
                                 refreshed["access_token"])
    assert status == 200
    assert (patient["resourceType"], patient["id"]) == ("Patient", first["patient"])


# --- §10 asymmetric client authentication ---------------------------------------------------


@pytest.mark.parametrize(
    "case", ["unknown-kid", "wrong-aud", "expired", "replayed-jti", "bad-assertion-type"]
)
async def test_item_90_every_assertion_failure_is_401_invalid_client_with_a_description(
    proxy: Harness, case: str
) -> None:
    keys = proxy.keys
    if case == "unknown-kid":
        form = backend_form(keys.assertion("backend-app", header={"kid": "nope"}))
    elif case == "wrong-aud":
        form = backend_form(keys.assertion("backend-app", claims={"aud": FHIR_BASE}))
    elif case == "expired":
        form = backend_form(keys.assertion("backend-app", claims={"exp": int(START) - 3600}))
    elif case == "replayed-jti":
        form = backend_form(keys.assertion("backend-app", claims={"jti": "once"}))
        assert (await proxy.token(form)).status == 200
    else:
        form = {**backend_form(keys.assertion("backend-app")), "client_assertion_type": "x"}
    response = await proxy.token(form)
    status, error = await refusal(response)  # exactly {error, error_description}, no-store
    assert (status, error) == (401, "invalid_client")
    assert (await response.json())["error_description"].strip()


# --- §12 id_token ----------------------------------------------------------------------------


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


async def test_item_105_id_token_is_rs256_with_the_kid_of_the_published_key(
    proxy: Harness,
) -> None:
    body = await proxy.tokens()
    header = _segment(body["id_token"], 0)
    jwks = await (await proxy.client.get("/.well-known/jwks.json")).json()
    rsa_kids = [key["kid"] for key in jwks["keys"] if key["kty"] == "RSA"]
    assert header["alg"] == "RS256"
    assert header["kid"] in rsa_kids
    # what Inferno does: verify with the key published at jwks_uri, selected by kid
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"]).claims
    assert claims["aud"] == "public-app"
    assert claims["fhirUser"] == f"{FHIR_BASE}/Patient/p1"
    oidc = await (await proxy.client.get("/.well-known/openid-configuration")).json()
    assert claims["iss"] == oidc["issuer"] == PUBLIC_URL
