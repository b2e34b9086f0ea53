"""``POST /auth/introspect`` (RFC 7662, SMART 2.2): checklist items 76-81."""

from __future__ import annotations

from typing import Any

import pytest

from smart_proxy.keys import SIGNING_KEY
from tests.smart_proxy.auth.token_client_keys import assertion_form, basic
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    FHIR_BASE,
    PATIENT_SCOPES,
    PUBLIC_URL,
    SECRET,
    SMART_STYLE_URL,
    START,
    SUSPENDED_AT,
    Harness,
    client_keys_fixture,
    clock_fixture,
    harness_fixture,
    token_store_fixture,
)

INACTIVE = {"active": False}
DAY = 24 * 3600


async def outcome(response: Any) -> tuple[int, str | None]:
    body = await response.json()
    return response.status, body.get("error")


# --- who may introspect ---------------------------------------------------------------


async def test_bearer_token_of_any_live_grant_may_introspect(harness: Harness) -> None:
    caller = await harness.tokens("other-public-app")
    target = await harness.tokens("public-app")
    response = await harness.post(
        "/auth/introspect", {"token": target["access_token"]},
        Authorization=f"Bearer {caller['access_token']}",
    )
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert (await response.json())["client_id"] == "public-app"


async def test_backend_service_may_introspect_with_its_assertion(harness: Harness) -> None:
    target = await harness.tokens()
    assertion = harness.keys.assertion("backend-app")
    data = {"token": target["access_token"], **assertion_form(assertion)}
    response = await harness.post("/auth/introspect", data)
    assert response.status == 200
    assert (await response.json())["active"] is True


@pytest.mark.parametrize(
    ("headers", "data", "expected", "challenge"),
    [
        ({}, {}, (401, "invalid_client"), 'Basic realm="smart-proxy"'),
        ({}, {"client_id": "public-app"}, (401, "invalid_client"), 'Basic realm="smart-proxy"'),
        (basic("secret-app", "wrong"), {}, (401, "invalid_client"), 'Basic realm="smart-proxy"'),
        ({"Authorization": "Bearer unknown-token"}, {}, (401, "invalid_token"),
         'Bearer realm="smart-proxy", error="invalid_token"'),
    ],
    ids=["nothing", "public-client", "wrong-secret", "unknown-bearer"],
)
async def test_unauthorized_callers_get_401(
    harness: Harness, headers: dict[str, str], data: dict[str, str], expected: Any, challenge: str
) -> None:
    target = await harness.tokens()
    response = await harness.post(
        "/auth/introspect", {"token": target["access_token"], **data}, **headers
    )
    assert await outcome(response) == expected
    assert response.headers["WWW-Authenticate"] == challenge


async def test_expired_bearer_cannot_introspect(harness: Harness) -> None:
    caller = await harness.tokens()
    harness.clock.advance(3600)
    response = await harness.post(
        "/auth/introspect", {"token": "anything"}, Authorization=f"Bearer {caller['access_token']}"
    )
    assert await outcome(response) == (401, "invalid_token")


async def test_token_parameter_is_required(harness: Harness) -> None:
    response = await harness.post("/auth/introspect", {}, **basic("secret-app", SECRET))
    assert await outcome(response) == (400, "invalid_request")


async def test_form_encoding_is_required(harness: Harness) -> None:
    response = await harness.client.post(
        "/auth/introspect", json={"token": "x"}, headers=basic("secret-app", SECRET)
    )
    assert await outcome(response) == (400, "invalid_request")


# --- active tokens --------------------------------------------------------------------


async def test_active_access_token_reports_the_token_response(harness: Harness) -> None:
    body = await harness.tokens(encounter="e1")
    assert await harness.introspect(body["access_token"]) == {
        "active": True,
        "scope": " ".join(PATIENT_SCOPES),
        "client_id": "public-app",
        "exp": int(START) + 3600,
        "iat": int(START),
        "token_type": "Bearer",
        "iss": PUBLIC_URL,
        "sub": "alice",
        "fhirUser": f"{FHIR_BASE}/Patient/p1",
        "patient": "p1",
        "encounter": "e1",
        "need_patient_banner": True,
        "smart_style_url": SMART_STYLE_URL,
    }
    id_token = harness.app[SIGNING_KEY].verify(body["id_token"])
    introspected = await harness.introspect(body["access_token"])
    assert (introspected["iss"], introspected["sub"]) == (id_token["iss"], id_token["sub"])


async def test_without_fhiruser_scope_no_fhiruser_is_disclosed(harness: Harness) -> None:
    body = await harness.tokens(scopes=("openid", "patient/Patient.rs"), patient=None)
    assert await harness.introspect(body["access_token"]) == {
        "active": True, "scope": "openid patient/Patient.rs", "client_id": "public-app",
        "exp": int(START) + 3600, "iat": int(START), "token_type": "Bearer", "iss": PUBLIC_URL,
        "sub": "alice",
    }


async def test_active_backend_token(harness: Harness) -> None:
    data = {"grant_type": "client_credentials", "scope": "system/Patient.rs",
            **assertion_form(harness.keys.assertion("backend-app"))}
    body = await (await harness.token(data)).json()
    assert await harness.introspect(body["access_token"]) == {
        "active": True, "scope": "system/Patient.rs", "client_id": "backend-app",
        "exp": int(START) + 300, "iat": int(START), "token_type": "Bearer", "iss": PUBLIC_URL,
        "sub": "backend-app",
    }


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token", "something_else"])
async def test_active_refresh_token(harness: Harness, hint: str | None) -> None:
    body = await harness.tokens()
    more = {} if hint is None else {"token_type_hint": hint}
    assert await harness.introspect(body["refresh_token"], **more) == {
        "active": True,
        "scope": " ".join(PATIENT_SCOPES),
        "client_id": "public-app",
        "exp": int(START) + 90 * DAY,
        "iat": int(START),
        "iss": PUBLIC_URL,
        "sub": "alice",
        "fhirUser": f"{FHIR_BASE}/Patient/p1",
        "patient": "p1",
        "need_patient_banner": True,
        "smart_style_url": SMART_STYLE_URL,
    }


async def test_access_token_found_despite_a_refresh_hint(harness: Harness) -> None:
    body = await harness.tokens()
    result = await harness.introspect(body["access_token"], token_type_hint="refresh_token")
    assert (result["active"], result["token_type"]) == (True, "Bearer")


# --- inactive tokens: exactly {"active": false} ---------------------------------------


async def test_unknown_token_is_inactive(harness: Harness) -> None:
    assert await harness.introspect("no-such-token") == INACTIVE
    assert await harness.introspect("x" * 2000) == INACTIVE


async def test_expired_access_token_is_inactive(harness: Harness) -> None:
    body = await harness.tokens()
    harness.clock.advance(3599)
    assert (await harness.introspect(body["access_token"]))["active"] is True
    harness.clock.advance(1)
    assert await harness.introspect(body["access_token"]) == INACTIVE


async def test_revoked_access_token_is_inactive(harness: Harness) -> None:
    body = await harness.tokens()
    await harness.post("/auth/revoke", {"token": body["access_token"], "client_id": "public-app"})
    assert await harness.introspect(body["access_token"]) == INACTIVE


async def test_withdrawn_consent_makes_both_tokens_inactive(harness: Harness) -> None:
    consent_id = await harness.consent()
    body = await harness.tokens(consent_id=consent_id)
    await harness.consents.revoke(consent_id, START, by="patient")
    assert await harness.introspect(body["access_token"]) == INACTIVE
    assert await harness.introspect(body["refresh_token"]) == INACTIVE


async def test_suspended_app_tokens_are_inactive(harness: Harness) -> None:
    body = await harness.tokens("later-suspended-app")
    assert (await harness.introspect(body["access_token"]))["active"] is True
    harness.clock.advance(SUSPENDED_AT - START)
    assert await harness.introspect(body["access_token"]) == INACTIVE
    assert await harness.introspect(body["refresh_token"]) == INACTIVE


async def test_spent_and_reused_refresh_tokens_are_inactive(harness: Harness) -> None:
    first = await harness.tokens()
    response = await harness.token(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    second = await response.json()
    assert await harness.introspect(first["refresh_token"]) == INACTIVE
    assert (await harness.introspect(second["refresh_token"]))["active"] is True
    await harness.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert await harness.introspect(second["refresh_token"]) == INACTIVE
    assert await harness.introspect(second["access_token"]) == INACTIVE
