"""Client authentication at the token endpoint (RFC 6749 §2.3, checklist items 42 and 44)."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from tests.smart_proxy.auth.token_client_keys import assertion_form, basic
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    REDIRECT,
    SECRET,
    Harness,
    client_keys_fixture,
    clock_fixture,
    harness_fixture,
    refusal,
    token_store_fixture,
)

# --- client authentication at the code exchange (items 42, 44) ------------------------


async def test_unknown_public_client_id_is_401_invalid_client(harness: Harness) -> None:
    code, verifier = await harness.mint_code()
    response = await harness.exchange(code, verifier, "BAD_CLIENT_ID")
    assert await refusal(response) == (401, "invalid_client")


async def test_unknown_basic_client_is_401_with_basic_challenge(harness: Harness) -> None:
    code, verifier = await harness.mint_code("secret-app")
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    response = await harness.token(form, basic("BAD_CLIENT_ID", SECRET))
    assert await refusal(response) == (401, "invalid_client")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="smart-proxy"'


async def test_missing_client_id_is_invalid_client(harness: Harness) -> None:
    code, verifier = await harness.mint_code()
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    assert await refusal(await harness.token(form)) == (401, "invalid_client")


@pytest.mark.parametrize(
    "secret_form", [SECRET, quote_plus(SECRET)], ids=["raw-inferno-style", "rfc6749-encoded"]
)
async def test_symmetric_client_with_basic(harness: Harness, secret_form: str) -> None:
    code, verifier = await harness.mint_code("secret-app")
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    response = await harness.token(form, basic("secret-app", secret_form))
    assert response.status == 200
    assert (await response.json())["patient"] == "p1"


async def test_symmetric_client_with_client_secret_post(harness: Harness) -> None:
    code, verifier = await harness.mint_code("secret-app")
    response = await harness.exchange(code, verifier, "secret-app", client_secret=SECRET)
    assert response.status == 200


async def test_asymmetric_client_with_private_key_jwt(harness: Harness) -> None:
    code, verifier = await harness.mint_code("asym-app")
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        **assertion_form(harness.keys.assertion("asym-app")),
    }
    response = await harness.token(form)
    assert response.status == 200
    assert set(await response.json()) >= {"access_token", "id_token", "refresh_token"}


async def test_wrong_secret_is_401_and_does_not_consume_the_code(harness: Harness) -> None:
    code, verifier = await harness.mint_code("secret-app")
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    response = await harness.token(form, basic("secret-app", "wrong"))
    assert await refusal(response) == (401, "invalid_client")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="smart-proxy"'
    assert (await harness.token(form, basic("secret-app", SECRET))).status == 200


@pytest.mark.parametrize(
    ("client_id", "extra", "headers"),
    [
        ("secret-app", {}, {}),  # confidential client pretending to be public
        ("asym-app", {}, {}),
        ("public-app", {"client_secret": SECRET}, {}),  # public client with a secret
        ("asym-app", {}, basic("asym-app", SECRET)),  # secret for an asymmetric client
        ("suspended-app", {}, {}),
        ("pending-app", {}, {}),
        ("public-app", {}, basic("secret-app", SECRET)),  # body client_id != Basic id
        ("public-app", {}, {"Authorization": "Bearer something"}),
    ],
    ids=["symmetric-as-public", "asymmetric-as-public", "public-with-secret",
         "asymmetric-with-secret", "suspended", "pending", "mismatched-ids", "bearer-scheme"],
)
async def test_client_type_must_match_its_method(
    harness: Harness, client_id: str, extra: dict[str, str], headers: dict[str, str]
) -> None:
    code, verifier = await harness.mint_code(client_id)
    response = await harness.token(
        {
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier, "client_id": client_id, **extra,
        },
        headers,
    )
    assert await refusal(response) == (401, "invalid_client")


async def test_two_authentication_methods_are_invalid_request(harness: Harness) -> None:
    code, verifier = await harness.mint_code("secret-app")
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_secret": SECRET, "client_id": "secret-app",
    }
    response = await harness.token(form, basic("secret-app", SECRET))
    assert await refusal(response) == (400, "invalid_request")
