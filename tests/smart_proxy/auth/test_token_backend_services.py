"""``grant_type=client_credentials`` (SMART Backend Services): checklist items 82-94."""

from __future__ import annotations

from typing import Any

import pytest

from tests.smart_proxy.auth.token_client_keys import assertion_form, basic
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    SECRET,
    Harness,
    client_keys_fixture,
    clock_fixture,
    harness_fixture,
    token_store_fixture,
)


def form(
    h: Harness, scope: str | None, client_id: str = "backend-app", **more: str
) -> dict[str, str]:
    assertion = h.keys.assertion(client_id)
    data = {"grant_type": "client_credentials", **assertion_form(assertion), **more}
    if scope is not None:
        data["scope"] = scope
    return data


async def outcome(response: Any) -> tuple[int, str | None]:
    body = await response.json()
    return response.status, body.get("error")


async def test_backend_token_response(harness: Harness) -> None:
    response = await harness.token(
        form(harness, "system/Patient.rs system/Observation.rs"), {"Accept": "application/json"}
    )
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    body = await response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    assert body["scope"] == "system/Patient.rs system/Observation.rs"
    assert await harness.fhir_status(body["access_token"]) == 200


@pytest.mark.parametrize(
    ("client_id", "requested", "granted", "expires_in"),
    [
        ("backend-app", "system/Patient.rs system/Condition.rs patient/Patient.rs",
         "system/Patient.rs", 300),
        ("backend-app", "system/Patient.read", "system/Patient.read", 300),
        ("short-backend-app", "system/*.read", "system/*.read", 120),
        ("short-backend-app", "system/Observation.rs launch openid", "system/Observation.rs", 120),
    ],
)
async def test_scopes_are_negotiated_against_the_system_ceiling(
    harness: Harness, client_id: str, requested: str, granted: str, expires_in: int
) -> None:
    body = await (await harness.token(form(harness, requested, client_id))).json()
    assert (body["scope"], body["expires_in"]) == (granted, expires_in)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("system/Condition.rs", (400, "invalid_scope")),
        ("patient/Patient.rs user/Patient.rs", (400, "invalid_scope")),
        ("system/*.rs", (400, "invalid_scope")),
        (None, (400, "invalid_request")),
    ],
)
async def test_nothing_grantable(harness: Harness, scope: str | None, expected: Any) -> None:
    assert await outcome(await harness.token(form(harness, scope))) == expected


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"client_id": "secret-app", "client_secret": SECRET}, {}),
        ({}, basic("secret-app", SECRET)),
        ({"client_id": "public-app"}, {}),
        ({}, {}),
    ],
    ids=["secret-post", "secret-basic", "public", "anonymous"],
)
async def test_only_private_key_jwt_authenticates_backend_services(
    harness: Harness, data: dict[str, str], headers: dict[str, str]
) -> None:
    request = {"grant_type": "client_credentials", "scope": "system/Patient.rs", **data}
    assert await outcome(await harness.token(request, headers)) == (401, "invalid_client")


async def test_user_facing_asymmetric_app_is_not_a_backend_service(harness: Harness) -> None:
    response = await harness.token(form(harness, "system/Patient.rs", "asym-app"))
    assert await outcome(response) == (400, "unauthorized_client")


async def test_invalid_grant_type_with_a_valid_assertion_is_400(harness: Harness) -> None:
    data = form(harness, "system/Patient.rs", grant_type="not_a_grant_type")
    assert await outcome(await harness.token(data)) == (400, "unsupported_grant_type")


async def test_invalid_assertion_type_is_401(harness: Harness) -> None:
    data = form(harness, "system/Patient.rs", client_assertion_type="urn:not:jwt-bearer")
    assert await outcome(await harness.token(data)) == (401, "invalid_client")


async def test_backend_token_expires(harness: Harness) -> None:
    body = await (await harness.token(form(harness, "system/Patient.rs"))).json()
    harness.clock.advance(299)
    assert await harness.fhir_status(body["access_token"]) == 200
    harness.clock.advance(1)
    assert await harness.fhir_status(body["access_token"]) == 401
