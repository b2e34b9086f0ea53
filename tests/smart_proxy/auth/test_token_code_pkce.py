"""PKCE at the token endpoint: checklist items 45-46 (Inferno [g10 9.7/9.18]), RFC 7636 §4.6."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from smart_proxy.auth.records import CODE_NS
from smart_proxy.grants import token_digest
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    REDIRECT,
    Harness,
    client_keys_fixture,
    clock_fixture,
    harness_fixture,
    refusal,
    token_store_fixture,
)

# --- PKCE (checklist items 45-46, RFC 7636 §4.6) -------------------------------------

WRONG_73 = secrets.token_urlsafe(60)[:73]


@pytest.mark.parametrize(
    ("verifier", "expected", "code_still_usable"),
    [
        (None, (400, "invalid_request"), True),
        ("", (400, "invalid_request"), True),
        ("a" * 42, (400, "invalid_request"), True),
        ("a" * 129, (400, "invalid_request"), True),
        ("a" * 42 + "+", (400, "invalid_request"), True),
        ("a" * 42 + "/", (400, "invalid_request"), True),
        ("a" * 40 + "%20", (400, "invalid_request"), True),
        (WRONG_73, (400, "invalid_grant"), False),
        ("challenge", (400, "invalid_grant"), False),
    ],
    ids=["missing", "blank", "too-short", "too-long", "plus", "slash", "escaped", "wrong",
         "equal-to-challenge"],
)
async def test_pkce(
    harness: Harness, verifier: str | None, expected: tuple[int, str], code_still_usable: bool
) -> None:
    code, good = await harness.mint_code()
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": "public-app",
    }
    if verifier == "challenge":
        verifier = create_s256_code_challenge(good)
    if verifier is not None:
        form["code_verifier"] = verifier
    assert await refusal(await harness.token(form)) == expected
    retry = await harness.exchange(code, good)
    assert retry.status == (200 if code_still_usable else 400)


async def test_verifier_equal_to_challenge_is_named_as_such(harness: Harness) -> None:
    code, verifier = await harness.mint_code()
    response = await harness.exchange(code, create_s256_code_challenge(verifier))
    assert (await response.json())["error_description"] == (
        "code_verifier must not be the code_challenge itself."
    )


@pytest.mark.parametrize(
    "stored", [{"code_challenge": ""}, {"code_challenge_method": "plain"}], ids=["none", "plain"]
)
async def test_code_without_s256_challenge_never_validates(
    harness: Harness, stored: dict[str, Any]
) -> None:
    code, verifier = await harness.mint_code(**stored)
    if stored.get("code_challenge_method") == "plain":
        await harness.store.put(  # a "plain" challenge equal to the verifier
            CODE_NS, token_digest(code),
            {**(await harness.store.get(CODE_NS, token_digest(code)) or {}),
             "code_challenge": verifier},
            ttl=60,
        )
    response = await harness.exchange(code, verifier)
    assert await refusal(response) == (400, "invalid_grant")
    assert (await response.json())["error_description"] == (
        "The authorization code has no S256 PKCE challenge."
    )
