"""What the token, introspection and revocation endpoints accept (RFC 6749 §3.1-3.2)."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

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

# --- request format ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/json", '{"grant_type": "authorization_code"}'),
        ("text/plain", "grant_type=authorization_code"),
        (None, None),
    ],
)
async def test_only_form_bodies_are_accepted(
    harness: Harness, content_type: str | None, data: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await harness.client.post("/auth/token", data=data, headers=headers)
    assert await refusal(response) == (400, "invalid_request")


@pytest.mark.parametrize("path", ["/auth/token", "/auth/introspect", "/auth/revoke"])
@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", b"grant_type=authorization_code&code=\xff"),
        ("application/x-www-form-urlencoded; charset=bogus", b"grant_type=authorization_code"),
        ("application/x-www-form-urlencoded; charset=utf-16", b"grant_type=authorization_code"),
    ],
    ids=["bad-utf8", "unknown-charset", "utf16"],
)
async def test_undecodable_bodies_are_invalid_request(
    harness: Harness, path: str, content_type: str, data: bytes
) -> None:
    response = await harness.client.post(path, data=data, headers={"Content-Type": content_type})
    assert await refusal(response) == (400, "invalid_request")


async def test_repeated_parameter_is_invalid_request(harness: Harness) -> None:
    code, verifier = await harness.mint_code()
    raw = (
        f"grant_type=authorization_code&code={code}&code={code}&redirect_uri={quote_plus(REDIRECT)}"
        f"&code_verifier={verifier}&client_id=public-app"
    )
    response = await harness.client.post(
        "/auth/token", data=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert await refusal(response) == (400, "invalid_request")
    assert await harness.store.get(CODE_NS, token_digest(code)) is not None  # not consumed


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({}, (400, "invalid_request")),
        ({"grant_type": "not_a_grant_type"}, (400, "unsupported_grant_type")),
        ({"grant_type": "password", "username": "a"}, (400, "unsupported_grant_type")),
        ({"grant_type": "implicit"}, (400, "unsupported_grant_type")),
    ],
)
async def test_grant_type_is_required_and_must_be_supported(
    harness: Harness, form: dict[str, str], expected: tuple[int, str]
) -> None:
    assert await refusal(await harness.token(form)) == expected


async def test_get_is_not_allowed(harness: Harness) -> None:
    response = await harness.client.get("/auth/token")
    assert response.status == 405
