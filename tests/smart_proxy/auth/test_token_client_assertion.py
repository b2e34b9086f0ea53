"""``private_key_jwt`` (RFC 7523, SMART client-confidential-asymmetric): checklist items 84-90.

The assertion table runs against an inline registry JWKS; keys fetched from a
registered ``jwks_uri`` are tested in ``test_token_client_jwks_uri.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from joserfc.jwk import RSAKey

from tests.smart_proxy.auth.token_client_keys import (
    TOKEN_URL,
    ClientKeys,
    backend_form,
    basic,
    forged,
    hmac_key_from,
)
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    FHIR_BASE,
    OK,
    REFUSED,
    START,
    Harness,
    client_keys_fixture,
    clock_fixture,
    harness_fixture,
    status_and_error,
    token_store_fixture,
)

# --- the assertion itself (inline JWKS) ----------------------------------------------


def _case(keys: ClientKeys, name: str) -> tuple[str, tuple[int, str | None]]:
    """Build only the assertion the test needs (some cases generate keys)."""
    a = keys.assertion
    claims = {"iss": "backend-app", "sub": "backend-app", "aud": TOKEN_URL,
              "exp": int(START) + 60, "jti": "j"}
    cases: dict[str, tuple[Callable[[], str], tuple[int, str | None]]] = {
        "rs384": (lambda: a("backend-app"), OK),
        "es384": (lambda: a("backend-app", alg="ES384"), OK),
        "typ-lowercase": (lambda: a("backend-app", header={"typ": "jwt"}), OK),
        "aud-array": (lambda: a("backend-app", claims={"aud": [TOKEN_URL, "https://other"]}), OK),
        "exp-59s-ago": (lambda: a("backend-app", claims={"exp": int(START) - 59}), OK),
        "exp-330s-ahead": (lambda: a("backend-app", claims={"exp": int(START) + 330}), OK),
        "alg-none": (lambda: a("backend-app", alg="none"), REFUSED),
        "alg-hs256-public-key": (
            lambda: a("backend-app", alg="HS256", key=hmac_key_from(keys.public_jwk("rsa"))),
            REFUSED,
        ),
        "alg-rs256": (lambda: a("backend-app", alg="RS256"), REFUSED),
        "alg-ps384": (lambda: a("backend-app", alg="PS384"), REFUSED),
        "no-alg-match-kty": (lambda: a("backend-app", header={"kid": keys.ec_kid}), REFUSED),
        "missing-kid": (lambda: a("backend-app", drop_header=("kid",)), REFUSED),
        "unknown-kid": (lambda: a("backend-app", header={"kid": "nope"}), REFUSED),
        "typ-jose": (lambda: a("backend-app", header={"typ": "JOSE"}), REFUSED),
        "typ-missing": (lambda: a("backend-app", drop_header=("typ",)), REFUSED),
        "jku-not-registered": (
            lambda: a("backend-app", header={"jku": "https://evil.example/jwks"}), REFUSED
        ),
        "crit": (lambda: a("backend-app", header={"crit": ["kid"]}), REFUSED),
        "iss-not-sub": (lambda: a("backend-app", claims={"sub": "someone-else"}), REFUSED),
        "unknown-iss": (lambda: a("no-such-client"), REFUSED),
        "symmetric-iss": (lambda: a("secret-app"), REFUSED),
        "public-iss": (lambda: a("public-app"), REFUSED),
        "aud-fhir-base": (lambda: a("backend-app", claims={"aud": FHIR_BASE}), REFUSED),
        "aud-trailing-slash": (lambda: a("backend-app", claims={"aud": TOKEN_URL + "/"}), REFUSED),
        "aud-missing": (lambda: a("backend-app", drop_claims=("aud",)), REFUSED),
        "exp-missing": (lambda: a("backend-app", drop_claims=("exp",)), REFUSED),
        "exp-string": (lambda: a("backend-app", claims={"exp": str(int(START) + 60)}), REFUSED),
        "exp-61s-ago": (lambda: a("backend-app", claims={"exp": int(START) - 61}), REFUSED),
        "exp-331s-ahead": (lambda: a("backend-app", claims={"exp": int(START) + 331}), REFUSED),
        "nbf-future": (lambda: a("backend-app", claims={"nbf": int(START) + 120}), REFUSED),
        "jti-missing": (lambda: a("backend-app", drop_claims=("jti",)), REFUSED),
        "jti-empty": (lambda: a("backend-app", claims={"jti": ""}), REFUSED),
        "signed-by-another-key": (
            lambda: a("backend-app", key=RSAKey.generate_key(2048, private=True)), REFUSED
        ),
        "garbage": (lambda: "not.a.jwt", REFUSED),
        "non-ascii": (lambda: "é.é.é", REFUSED),
        "alg-list": (lambda: forged({"alg": ["RS384"], "kid": "k", "typ": "JWT"}, claims), REFUSED),
        "kid-object": (lambda: forged({"alg": "RS384", "kid": {}, "typ": "JWT"}, claims), REFUSED),
        "header-array": (lambda: forged(["RS384"], claims), REFUSED),
        "payload-array": (lambda: forged({"alg": "RS384", "kid": "k", "typ": "JWT"}, []), REFUSED),
        "iss-list": (
            lambda: forged(
                {"alg": "RS384", "kid": keys.rsa_kid, "typ": "JWT"},
                {**claims, "iss": ["backend-app"], "sub": ["backend-app"]},
            ),
            REFUSED,
        ),
        "bad-signature": (
            lambda: forged({"alg": "RS384", "kid": keys.rsa_kid, "typ": "JWT"}, claims), REFUSED
        ),
    }
    build, expected = cases[name]
    return build(), expected


CASES = [
    "rs384", "es384", "typ-lowercase", "aud-array", "exp-59s-ago", "exp-330s-ahead", "alg-none",
    "alg-hs256-public-key", "alg-rs256", "alg-ps384", "no-alg-match-kty", "missing-kid",
    "unknown-kid", "typ-jose", "typ-missing", "jku-not-registered", "crit", "iss-not-sub",
    "unknown-iss", "symmetric-iss", "public-iss", "aud-fhir-base", "aud-trailing-slash",
    "aud-missing", "exp-missing", "exp-string", "exp-61s-ago", "exp-331s-ahead", "nbf-future",
    "jti-missing", "jti-empty", "signed-by-another-key", "garbage", "non-ascii", "alg-list",
    "kid-object", "header-array", "payload-array", "iss-list", "bad-signature",
]


@pytest.mark.parametrize("case", CASES)
async def test_assertion_rules(harness: Harness, case: str) -> None:
    assertion, expected = _case(harness.keys, case)
    response = await harness.token(backend_form(assertion))
    assert await status_and_error(response) == expected
    if expected == REFUSED:
        assert response.headers["WWW-Authenticate"] == 'Basic realm="smart-proxy"'


async def test_jti_replay_is_401(harness: Harness) -> None:
    assertion = harness.keys.assertion("backend-app")
    assert (await harness.token(backend_form(assertion))).status == 200
    assert await status_and_error(await harness.token(backend_form(assertion))) == REFUSED


async def test_same_jti_after_expiry_window_is_still_refused_while_remembered(
    harness: Harness,
) -> None:
    jti = {"jti": "fixed-jti"}
    first = harness.keys.assertion("backend-app", claims=jti)
    assert (await harness.token(backend_form(first))).status == 200
    second = harness.keys.assertion("backend-app", claims={**jti, "exp": int(START) + 300})
    assert await status_and_error(await harness.token(backend_form(second))) == REFUSED


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"client_assertion_type": "urn:wrong"}, REFUSED),
        ({"client_assertion": None}, REFUSED),
        ({"client_id": "other-client"}, REFUSED),
        ({"client_id": "backend-app"}, OK),
    ],
    ids=["bad-assertion-type", "no-assertion", "client-id-mismatch", "client-id-matches"],
)
async def test_assertion_parameters(
    harness: Harness, form: dict[str, str | None], expected: tuple[int, str | None]
) -> None:
    data: dict[str, str] = backend_form(harness.keys.assertion("backend-app"))
    for name, value in form.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    assert await status_and_error(await harness.token(data)) == expected


async def test_assertion_and_basic_together_are_invalid_request(harness: Harness) -> None:
    response = await harness.token(
        backend_form(harness.keys.assertion("backend-app")), basic("secret-app", "x")
    )
    assert await status_and_error(response) == (400, "invalid_request")
