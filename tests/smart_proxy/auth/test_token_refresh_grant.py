"""``grant_type=refresh_token``: checklist §7 (items 63-70), RFC 6749 §6, RFC 9700 §4.14.2."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from smart_proxy.grants import grant_for_token
from smart_proxy.keys import SIGNING_KEY
from tests.smart_proxy.auth.token_client_keys import assertion_form, basic
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    PATIENT_SCOPES,
    SECRET,
    SMART_STYLE_URL,
    SUSPENDED_AT,
    Harness,
    client_keys_fixture,
    clock_fixture,
    harness_fixture,
    token_store_fixture,
)

DAY = 24 * 3600
FULL_SCOPE = " ".join(PATIENT_SCOPES)


async def refresh(
    h: Harness, token: str, headers: dict[str, str] | None = None, **more: str
) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": token, **more}
    return await h.token(form, headers)


async def refresh_with(h: Harness, token: str, more: dict[str, str]) -> Any:
    return await refresh(h, token, None, **more)


async def ok(response: Any) -> dict[str, Any]:
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    return dict(await response.json())


async def refused(response: Any) -> tuple[int, str]:
    body = await response.json()
    assert set(body) == {"error", "error_description"}
    return response.status, body["error"]


@pytest.mark.parametrize("scope", [None, FULL_SCOPE], ids=["without-scope", "full-scope"])
async def test_refresh_returns_same_scopes_context_and_a_new_refresh_token(
    harness: Harness, scope: str | None
) -> None:
    first = await harness.tokens(client_id="public-app", encounter="e1")
    more = {"client_id": "public-app"}
    if scope is not None:
        more["scope"] = scope
    body = await ok(await refresh_with(harness, first["refresh_token"], more))
    assert set(body) == {
        "access_token", "token_type", "expires_in", "scope", "patient", "encounter",
        "need_patient_banner", "smart_style_url", "id_token", "refresh_token",
    }
    assert body["scope"] == FULL_SCOPE
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert (body["patient"], body["encounter"]) == ("p1", "e1")
    assert (body["need_patient_banner"], body["smart_style_url"]) == (True, SMART_STYLE_URL)
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert "nonce" not in harness.app[SIGNING_KEY].verify(body["id_token"])
    assert await harness.fhir_status(body["access_token"]) == 200


async def test_public_client_may_refresh_without_client_id(harness: Harness) -> None:
    first = await harness.tokens()
    body = await ok(await refresh(harness, first["refresh_token"]))
    assert body["scope"] == FULL_SCOPE


async def test_narrower_scope_narrows_the_access_token_only(harness: Harness) -> None:
    first = await harness.tokens()
    narrowed = await ok(await refresh(harness, first["refresh_token"], scope="patient/Patient.rs"))
    assert narrowed["scope"] == "patient/Patient.rs"
    assert "id_token" not in narrowed
    grant = await grant_for_token(harness.store, narrowed["access_token"], harness.clock())
    assert grant is not None and grant.scopes == ("patient/Patient.rs",)
    again = await ok(await refresh(harness, narrowed["refresh_token"]))
    assert again["scope"] == FULL_SCOPE


@pytest.mark.parametrize(
    "scope",
    ["patient/Condition.rs", "patient/*.rs", "patient/Patient.rs user/Patient.rs",
     "patient/Patient.cruds", "online_access", "not a scope"],
)
async def test_wider_scope_is_invalid_scope_and_does_not_spend_the_token(
    harness: Harness, scope: str
) -> None:
    first = await harness.tokens()
    assert await refused(await refresh(harness, first["refresh_token"], scope=scope)) == (
        400, "invalid_scope"
    )
    await ok(await refresh(harness, first["refresh_token"]))


async def test_reuse_of_a_spent_token_revokes_the_whole_family(harness: Harness) -> None:
    first = await harness.tokens()
    second = await ok(await refresh(harness, first["refresh_token"]))
    assert await harness.fhir_status(first["access_token"]) == 200

    assert await refused(await refresh(harness, first["refresh_token"])) == (400, "invalid_grant")

    assert await refused(await refresh(harness, second["refresh_token"])) == (400, "invalid_grant")
    assert await harness.fhir_status(first["access_token"]) == 401
    assert await harness.fhir_status(second["access_token"]) == 401


async def test_concurrent_use_of_one_token_lets_exactly_one_through(harness: Harness) -> None:
    first = await harness.tokens()
    responses = await asyncio.gather(
        refresh(harness, first["refresh_token"]), refresh(harness, first["refresh_token"])
    )
    assert sorted(r.status for r in responses) == [200, 400]


async def test_token_of_another_client_is_invalid_grant(harness: Harness) -> None:
    first = await harness.tokens("public-app")
    response = await refresh(harness, first["refresh_token"], client_id="other-public-app")
    assert await refused(response) == (400, "invalid_grant")
    await ok(await refresh(harness, first["refresh_token"], client_id="public-app"))


async def test_confidential_client_must_authenticate(harness: Harness) -> None:
    code, verifier = await harness.mint_code("secret-app")
    first = await ok(await harness.exchange(code, verifier, "secret-app", client_secret=SECRET))
    unauthenticated = await refresh(harness, first["refresh_token"])
    assert await refused(unauthenticated) == (401, "invalid_client")
    as_public = await refresh(harness, first["refresh_token"], client_id="secret-app")
    assert await refused(as_public) == (401, "invalid_client")
    body = await ok(await refresh(harness, first["refresh_token"], basic("secret-app", SECRET)))
    assert body["scope"] == " ".join(PATIENT_SCOPES)


async def test_other_confidential_client_is_invalid_grant(harness: Harness) -> None:
    first = await harness.tokens("public-app")
    response = await refresh(harness, first["refresh_token"], basic("secret-app", SECRET))
    assert await refused(response) == (400, "invalid_grant")


async def test_asymmetric_client_refreshes_with_private_key_jwt(harness: Harness) -> None:
    code, verifier = await harness.mint_code("asym-app")
    exchange = {
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": "http://127.0.0.1:9999/callback",
        **assertion_form(harness.keys.assertion("asym-app")),
    }
    first = await ok(await harness.token(exchange))
    form = assertion_form(harness.keys.assertion("asym-app", alg="ES384"))
    body = await ok(await refresh_with(harness, first["refresh_token"], form))
    assert body["patient"] == "p1"


@pytest.mark.parametrize("token", [str(uuid.uuid4()), "x" * 600])
async def test_unknown_refresh_token_is_invalid_grant(harness: Harness, token: str) -> None:
    assert await refused(await refresh(harness, token)) == (400, "invalid_grant")


async def test_refresh_token_is_required(harness: Harness) -> None:
    response = await harness.token({"grant_type": "refresh_token"})
    assert await refused(response) == (400, "invalid_request")


async def test_withdrawn_consent_ends_refresh(harness: Harness) -> None:
    consent_id = await harness.consent()
    first = await harness.tokens(consent_id=consent_id)
    await harness.consents.revoke(consent_id, harness.clock(), by="patient")
    assert await refused(await refresh(harness, first["refresh_token"])) == (400, "invalid_grant")


async def test_expired_consent_ends_refresh(harness: Harness) -> None:
    consent_id = await harness.consent(expires_at=harness.clock() + 10 * DAY)
    first = await harness.tokens(consent_id=consent_id)
    harness.clock.advance(9 * DAY)
    second = await ok(await refresh(harness, first["refresh_token"]))
    assert second["expires_in"] == 3600
    harness.clock.advance(DAY + 1)
    assert await refused(await refresh(harness, second["refresh_token"])) == (400, "invalid_grant")


async def test_app_suspension_ends_refresh(harness: Harness) -> None:
    first = await harness.tokens("later-suspended-app")
    harness.clock.advance(SUSPENDED_AT - harness.clock() + 1)
    assert await refused(await refresh(harness, first["refresh_token"])) == (400, "invalid_grant")


# --- lifetimes (checklist item 69: ≥ 3 months, renewed by each refresh) --------------


@pytest.mark.parametrize(
    ("client_id", "days"), [("public-app", 90), ("short-lived-app", 120)]
)
async def test_offline_refresh_lives_its_period_and_each_refresh_renews_it(
    harness: Harness, client_id: str, days: int
) -> None:
    first = await harness.tokens(client_id)
    harness.clock.advance(days * DAY - 1)
    second = await ok(await refresh(harness, first["refresh_token"]))
    harness.clock.advance(days * DAY - 1)
    third = await ok(await refresh(harness, second["refresh_token"]))
    harness.clock.advance(days * DAY)
    assert await refused(await refresh(harness, third["refresh_token"])) == (400, "invalid_grant")


async def test_online_refresh_ends_twelve_hours_after_sign_in_despite_rotation(
    harness: Harness,
) -> None:
    first = await harness.tokens(scopes=("online_access", "launch/patient", "patient/Patient.rs"))
    harness.clock.advance(6 * 3600)
    second = await ok(await refresh(harness, first["refresh_token"]))
    assert second["scope"] == "online_access launch/patient patient/Patient.rs"
    harness.clock.advance(6 * 3600 - 1)
    third = await ok(await refresh(harness, second["refresh_token"]))
    harness.clock.advance(1)
    assert await refused(await refresh(harness, third["refresh_token"])) == (400, "invalid_grant")
