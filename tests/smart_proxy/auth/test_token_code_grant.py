"""``grant_type=authorization_code``: checklist §5 and §6 (items 41-61), RFC 6749 §4.1.3."""

from __future__ import annotations

import pytest

from smart_proxy.grants import grant_for_token
from smart_proxy.keys import SIGNING_KEY
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    FHIR_BASE,
    PATIENT_SCOPES,
    PUBLIC_URL,
    REDIRECT,
    SMART_STYLE_URL,
    START,
    Harness,
    client_keys_fixture,
    clock_fixture,
    harness_fixture,
    refusal,
    token_store_fixture,
)

# --- success -------------------------------------------------------------------------


async def test_public_client_gets_the_full_smart_token_response(harness: Harness) -> None:
    code, verifier = await harness.mint_code()
    response = await harness.exchange(code, verifier)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {
        "access_token", "token_type", "expires_in", "scope", "patient",
        "need_patient_banner", "smart_style_url", "id_token", "refresh_token",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600 and type(body["expires_in"]) is int
    assert body["scope"] == " ".join(PATIENT_SCOPES)
    assert body["patient"] == "p1"
    assert body["need_patient_banner"] is True
    assert body["smart_style_url"] == SMART_STYLE_URL
    assert len(body["access_token"]) >= 43 and len(body["refresh_token"]) >= 43
    assert await harness.fhir_status(body["access_token"]) == 200


async def test_id_token_claims_and_signature(harness: Harness) -> None:
    body = await harness.tokens()
    claims = harness.app[SIGNING_KEY].verify(body["id_token"])
    assert claims == {
        "iss": PUBLIC_URL,
        "sub": "alice",
        "aud": "public-app",
        "exp": int(START) + 3600,
        "iat": int(START),
        "auth_time": int(START) - 30,
        "nonce": "nonce-123",
        "fhirUser": f"{FHIR_BASE}/Patient/p1",
    }


async def test_grant_records_who_what_and_until_when(harness: Harness) -> None:
    code, verifier = await harness.mint_code(encounter="e7", need_patient_banner=False)
    body = await (await harness.exchange(code, verifier)).json()
    grant = await grant_for_token(harness.store, body["access_token"], START)
    assert grant is not None
    assert (grant.client_id, grant.scopes, grant.patient, grant.encounter, grant.fhir_user) == (
        "public-app", PATIENT_SCOPES, "p1", "e7", "Patient/p1"
    )
    assert grant.expires_at == START + 3600
    assert grant.consent_id is not None and grant.refresh_family is not None
    assert body["encounter"] == "e7" and body["need_patient_banner"] is False


async def test_no_launch_context_no_identity_no_refresh(harness: Harness) -> None:
    code, verifier = await harness.mint_code(
        scopes=("patient/Patient.rs",), patient=None, need_patient_banner=None
    )
    body = await (await harness.exchange(code, verifier)).json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["scope"] == "patient/Patient.rs"


async def test_openid_without_fhiruser_has_no_fhiruser_claim_and_no_nonce(harness: Harness) -> None:
    code, verifier = await harness.mint_code(scopes=("openid", "patient/Patient.rs"), nonce=None)
    body = await (await harness.exchange(code, verifier)).json()
    claims = harness.app[SIGNING_KEY].verify(body["id_token"])
    assert set(claims) == {"iss", "sub", "aud", "exp", "iat", "auth_time"}
    assert "refresh_token" not in body


async def test_online_access_also_gets_a_refresh_token(harness: Harness) -> None:
    code, verifier = await harness.mint_code(scopes=("online_access", "patient/Patient.rs"))
    body = await (await harness.exchange(code, verifier)).json()
    assert body["scope"] == "online_access patient/Patient.rs"
    assert "refresh_token" in body


async def test_app_lifetime_lowers_expires_in(harness: Harness) -> None:
    body = await harness.tokens("short-lived-app")
    assert body["expires_in"] == 600


async def test_access_token_never_outlives_the_consent(harness: Harness) -> None:
    consent_id = await harness.consent(expires_at=START + 100)
    code, verifier = await harness.mint_code(consent_id=consent_id)
    body = await (await harness.exchange(code, verifier)).json()
    assert body["expires_in"] == 100


async def test_consent_indexes_the_grant_so_withdrawal_ends_it(harness: Harness) -> None:
    consent_id = await harness.consent()
    body = await harness.tokens(consent_id=consent_id)
    assert await harness.fhir_status(body["access_token"]) == 200
    await harness.consents.revoke(consent_id, START, by="patient")
    assert await harness.fhir_status(body["access_token"]) == 401


# --- the code ------------------------------------------------------------------------


async def test_unknown_code_is_400_invalid_grant(harness: Harness) -> None:
    _, verifier = await harness.mint_code()
    assert await refusal(await harness.exchange("BAD_CODE", verifier)) == (400, "invalid_grant")


@pytest.mark.parametrize("missing", ["code", "redirect_uri"])
async def test_code_and_redirect_uri_are_required(harness: Harness, missing: str) -> None:
    code, verifier = await harness.mint_code()
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": "public-app",
    }
    del form[missing]
    assert await refusal(await harness.token(form)) == (400, "invalid_request")


async def test_code_of_another_client_is_invalid_grant_and_burns_it(harness: Harness) -> None:
    code, verifier = await harness.mint_code("public-app")
    response = await harness.exchange(code, verifier, "other-public-app")
    assert await refusal(response) == (400, "invalid_grant")
    assert await refusal(await harness.exchange(code, verifier)) == (400, "invalid_grant")


async def test_redirect_uri_must_match_exactly(harness: Harness) -> None:
    code, verifier = await harness.mint_code()
    response = await harness.exchange(code, verifier, redirect_uri=REDIRECT + "/")
    assert await refusal(response) == (400, "invalid_grant")


@pytest.mark.parametrize(("elapsed", "status"), [(59, 200), (60, 400), (3600, 400)])
async def test_code_lifetime(harness: Harness, elapsed: float, status: int) -> None:
    code, verifier = await harness.mint_code()
    harness.clock.advance(elapsed)
    response = await harness.exchange(code, verifier)
    assert response.status == status
    if status == 400:
        assert (await response.json())["error"] == "invalid_grant"


async def test_withdrawn_consent_cannot_be_exchanged(harness: Harness) -> None:
    consent_id = await harness.consent()
    code, verifier = await harness.mint_code(consent_id=consent_id)
    await harness.consents.revoke(consent_id, START, by="patient")
    assert await refusal(await harness.exchange(code, verifier)) == (400, "invalid_grant")


async def test_unknown_consent_cannot_be_exchanged(harness: Harness) -> None:
    code, verifier = await harness.mint_code(consent_id="no-such-consent")
    assert await refusal(await harness.exchange(code, verifier)) == (400, "invalid_grant")


# --- replay (RFC 6749 §4.1.2) --------------------------------------------------------


async def test_code_replay_is_refused_and_revokes_the_first_tokens(harness: Harness) -> None:
    code, verifier = await harness.mint_code()
    first = await (await harness.exchange(code, verifier)).json()
    assert await harness.fhir_status(first["access_token"]) == 200

    assert await refusal(await harness.exchange(code, verifier)) == (400, "invalid_grant")

    assert await harness.fhir_status(first["access_token"]) == 401
    refreshed = await harness.token(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert await refusal(refreshed) == (400, "invalid_grant")
    assert await harness.introspect(first["access_token"]) == {"active": False}


async def test_replay_of_one_code_leaves_other_authorizations_alone(harness: Harness) -> None:
    other = await harness.tokens()
    code, verifier = await harness.mint_code()
    await harness.exchange(code, verifier)
    await harness.exchange(code, verifier)
    assert await harness.fhir_status(other["access_token"]) == 200
