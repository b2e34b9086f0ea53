"""``POST /auth/revoke`` (RFC 7009) and patient-directed revocation: checklist items 71-74."""

from __future__ import annotations

from typing import Any

import pytest

from tests.smart_proxy.auth.token_client_keys import basic
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    SECRET,
    Harness,
    client_keys_fixture,
    clock_fixture,
    harness_fixture,
    token_store_fixture,
)


async def revoke(h: Harness, token: str, headers: dict[str, str] | None = None, **more: str) -> Any:
    return await h.post("/auth/revoke", {"token": token, **more}, **(headers or {}))


async def refresh_status(h: Harness, token: str, headers: dict[str, str] | None = None) -> int:
    response = await h.token({"grant_type": "refresh_token", "refresh_token": token}, headers)
    return int(response.status)


async def secret_app_tokens(h: Harness) -> dict[str, Any]:
    code, verifier = await h.mint_code("secret-app")
    response = await h.exchange(code, verifier, "secret-app", client_secret=SECRET)
    assert response.status == 200
    return dict(await response.json())


async def test_revoked_access_token_fails_the_very_next_fhir_call(harness: Harness) -> None:
    body = await harness.tokens()
    assert await harness.fhir_status(body["access_token"]) == 200
    response = await revoke(harness, body["access_token"], client_id="public-app")
    assert response.status == 200
    assert await response.read() == b""
    assert response.headers["Cache-Control"] == "no-store"
    assert await harness.fhir_status(body["access_token"]) == 401
    assert await refresh_status(harness, body["refresh_token"]) == 200  # only the access token


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token"])
async def test_revoked_refresh_token_ends_its_family(harness: Harness, hint: str | None) -> None:
    first = await harness.tokens()
    rotate = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = await (await harness.token(rotate)).json()
    form = {"token": second["refresh_token"], "client_id": "public-app"}
    if hint is not None:
        form["token_type_hint"] = hint
    response = await harness.post("/auth/revoke", form)
    assert response.status == 200
    assert await refresh_status(harness, second["refresh_token"]) == 400
    assert await harness.fhir_status(first["access_token"]) == 401
    assert await harness.fhir_status(second["access_token"]) == 401


async def test_other_clients_cannot_revoke_but_hear_200(harness: Harness) -> None:
    body = await harness.tokens("public-app")
    for token in (body["access_token"], body["refresh_token"]):
        assert (await revoke(harness, token, client_id="other-public-app")).status == 200
    assert (await revoke(harness, body["access_token"], basic("secret-app", SECRET))).status == 200
    assert await harness.fhir_status(body["access_token"]) == 200
    assert await refresh_status(harness, body["refresh_token"]) == 200


@pytest.mark.parametrize("token", ["unknown", "x" * 1000])
async def test_unknown_tokens_are_200(harness: Harness, token: str) -> None:
    assert (await revoke(harness, token, client_id="public-app")).status == 200


async def test_revoking_twice_is_200_twice(harness: Harness) -> None:
    body = await harness.tokens()
    for _ in range(2):
        assert (await revoke(harness, body["refresh_token"], client_id="public-app")).status == 200


async def test_confidential_client_authenticates_to_revoke(harness: Harness) -> None:
    body = await secret_app_tokens(harness)
    for headers, data in (({}, {"client_id": "secret-app"}), (basic("secret-app", "bad"), {})):
        response = await revoke(harness, body["access_token"], headers, **data)
        assert (response.status, (await response.json())["error"]) == (401, "invalid_client")
    assert await harness.fhir_status(body["access_token"]) == 200
    assert (await revoke(harness, body["access_token"], basic("secret-app", SECRET))).status == 200
    assert await harness.fhir_status(body["access_token"]) == 401


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, (401, "invalid_client")),
        ({"client_id": "public-app", "token": ""}, (400, "invalid_request")),
    ],
    ids=["anonymous", "no-token"],
)
async def test_malformed_revocations(harness: Harness, data: dict[str, str], expected: Any) -> None:
    form = {"token": "something", **data}
    if form["token"] == "":
        del form["token"]
    response = await harness.post("/auth/revoke", form)
    assert (response.status, (await response.json())["error"]) == expected


async def test_patient_directed_revocation_ends_access_and_refresh(harness: Harness) -> None:
    """Inferno [g10 9.3]: old access token → 401/403/404, old refresh (Basic) → 400/401."""
    consent_id = await harness.consent("secret-app")
    code, verifier = await harness.mint_code("secret-app", consent_id=consent_id)
    response = await harness.exchange(code, verifier, "secret-app", client_secret=SECRET)
    body = await response.json()
    await harness.consents.revoke(consent_id, harness.clock(), by="patient")
    assert await harness.fhir_status(body["access_token"]) == 401
    assert await refresh_status(harness, body["refresh_token"], basic("secret-app", SECRET)) == 400
