"""The SMART launch in front of each upstream: peer-gateways.md part (c), items 12, 16, 17.

A real standalone launch through the login, patient-picker and consent pages (the
HTML-form browser of the authorization tests), by a user who is patient A and may also
act for patient C, then FHIR calls with the token it yields, against the upstream of the
world.  Nothing the app sends after the consent (a tampered picker, a ``patient`` in the
token request, a header) moves the token to another patient, and malformed scopes asked
for are never granted.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp import DummyCookieJar

from smart_proxy.app import create_app
from smart_proxy.config.model import IdentityConfig
from smart_proxy.identity import hash_secret
from smart_proxy.state import MemoryStore
from tests.e2e.world import PUBLIC_FHIR, World, empty_searchset, refusal
from tests.smart_proxy.authorize.authz_browser import PUBLIC, Browser, Page
from tests.support import make_config

APP = "demo-patient-app"
REDIRECT = "http://127.0.0.1:9999/callback"
CONFIDENTIAL_APP = "demo-clinician-app"
USERNAME = "e2e-alice"
PASSWORD = "e2e-alice-password-7"
VERIFIER = secrets.token_urlsafe(48)
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
SCOPES = "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs"


@functools.cache
def password_hash() -> str:
    return hash_secret(PASSWORD)


@pytest.fixture
async def browser(world: World, aiohttp_client: Any, store: MemoryStore, tmp_path: Path
                  ) -> Browser:
    """The proxy with a local user who is patient A and may act for patient C."""
    users = tmp_path / "users.yaml"
    users.write_text(json.dumps({"users": [{
        "username": USERNAME, "password_hash": password_hash(),
        "fhir_user": world.a.ref, "display_name": "Alice E2E", "patients": [world.c.id],
    }]}))
    config = make_config(world.upstream_base, identity=IdentityConfig(local_users=users))
    app = create_app(config, store=store, clock=world.clock)
    return Browser(await aiohttp_client(app, cookie_jar=DummyCookieJar()))


def authorize_url(scope: str = SCOPES, **changes: str) -> str:
    params = {
        "response_type": "code", "client_id": APP, "redirect_uri": REDIRECT, "scope": scope,
        "state": "st-e2e", "aud": PUBLIC_FHIR, "code_challenge": CHALLENGE,
        "code_challenge_method": "S256", **changes,
    }
    return f"{PUBLIC}/auth/authorize?{urlencode(params)}"


async def signed_in(browser: Browser, scope: str = SCOPES) -> Page:
    page = await browser.get(authorize_url(scope))
    form = page.form("/auth/login")
    form.fill("username", USERNAME)
    form.fill("password", PASSWORD)
    return await browser.submit(form)


async def code_for(browser: Browser, patient: str, scope: str = SCOPES) -> str:
    picker = await signed_in(browser, scope)
    consent = await browser.submit(picker.form("/auth/patient").choose("patient", patient))
    done = await browser.submit(consent.form("/auth/consent"), ("decision", "allow"))
    assert done.status == 302, (done.status, done.text[:300])
    params = parse_qs(urlsplit(done.location or "").query)
    assert "code" in params, params
    return params["code"][0]


async def exchange(browser: Browser, code: str, **extra: str) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER, "client_id": APP, **extra}
    response = await browser.client.post("/auth/token", data=form)
    return response.status, await response.json()


# --- (c) 17: launch-context tampering and staleness -----------------------------------


async def test_17_a_patient_not_offered_cannot_be_picked(world: World, browser: Browser) -> None:
    picker = await signed_in(browser)
    form = picker.form("/auth/patient")
    assert sorted(form.options("patient")) == sorted([world.a.id, world.c.id])
    form.remove("patient")
    form.add_hidden("patient", world.b.id)
    refused = await browser.submit(form)
    assert refused.status == 400
    assert "That patient cannot be chosen" in refused.text
    assert world.b.id not in refused.text


@pytest.mark.parametrize("extra", [
    {}, {"patient": "{b}"}, {"launch": "{b}"}, {"scope": "patient/*.cruds"},
])
async def test_17_the_token_keeps_the_patient_chosen_at_consent(
    world: World, browser: Browser, extra: dict[str, str]
) -> None:
    a, b = world.a, world.b
    code = await code_for(browser, a.id)
    status, token = await exchange(browser, code, **{k: v.format(b=b.id) for k, v in extra.items()})
    assert status == 200, token
    assert token["patient"] == a.id
    assert set(token["scope"].split()) == set(SCOPES.split())
    access = token["access_token"]

    mine = await world.get(f"/fhir/Patient/{a.id}", access)
    assert mine.status == 200, mine.text
    refusal(await world.get(f"/fhir/Patient/{b.id}", access), 404, "not-found")
    empty_searchset(await world.get(f"/fhir/Observation?patient={b.id}", access,
                                    headers={"X-Patient": b.id, "X-Authorization-Patient": b.id}))
    refusal(await world.get(f"/fhir/Condition?patient={a.id}", access), 403, "forbidden")
    assert all(b.id not in s.target for s in world.seen)


async def test_17_the_patient_picked_for_is_the_one_bound(world: World, browser: Browser) -> None:
    """Acting for C binds C, not the signed-in user's own record."""
    a, c = world.a, world.c
    status, token = await exchange(browser, await code_for(browser, c.id))
    assert status == 200, token
    assert token["patient"] == c.id
    answer = await world.get("/fhir/Observation?_count=500", token["access_token"])
    assert answer.status == 200, answer.text
    # (records the consent page left unshared, if any, are withheld: a subset)
    assert answer.keyset() and answer.keyset() <= {f"Observation/{o}" for o in c.observations}
    # the user's own Patient stays readable (their fhirUser), their chart does not
    refusal(await world.get(f"/fhir/Observation/{a.observations[0]}", token["access_token"]),
            404, "not-found")


# --- (c) 12: scopes negotiated at authorization --------------------------------------


MALFORMED_ASKED = ["patient/Condition.", "patient/Condition.sr", "patient/*.x",
                   "patient/condition.rs", "patient/Condition.READ", "patient/*.*read"]


async def test_12_malformed_scopes_asked_for_are_never_granted(
    world: World, browser: Browser
) -> None:
    asked = " ".join([SCOPES, *MALFORMED_ASKED])
    status, token = await exchange(browser, await code_for(browser, world.a.id, asked))
    assert status == 200, token
    assert set(token["scope"].split()) == set(SCOPES.split())
    refusal(await world.get(f"/fhir/Condition/{world.a.conditions[0]}", token["access_token"]),
            403, "forbidden")
    assert world.seen == []


# --- (c) 16: OAuth front-end leaks ----------------------------------------------------
# The authorization server does not talk to the upstream: one world is enough.


@pytest.mark.parametrize("world", ["sandbox"], indirect=True)
async def test_16_a_failed_client_authentication_echoes_no_secret(
    world: World, browser: Browser
) -> None:
    secret = "e2e-probe-" + secrets.token_hex(8)
    basic = base64.b64encode(f"{CONFIDENTIAL_APP}:{secret}".encode()).decode()
    response = await browser.client.post(
        "/auth/token", data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"})
    body = await response.text()
    assert response.status == 401, body
    assert json.loads(body)["error"] == "invalid_client"
    assert response.headers["Cache-Control"] == "no-store"
    assert secret not in body and basic not in body
    assert all(secret not in v and basic not in v for v in response.headers.values())


@pytest.mark.parametrize("world", ["sandbox"], indirect=True)
@pytest.mark.parametrize(("name", "value"), [
    ("redirect_uri", "https://evil.example/cb?<script>alert(1)</script>"),
    ("client_id", "<script>alert(1)</script>"),
])
async def test_16_an_unregistered_client_or_redirect_is_never_followed_nor_echoed_raw(
    world: World, browser: Browser, name: str, value: str
) -> None:
    page = await browser.get(authorize_url(**{name: value}))
    assert page.status == 400, (page.status, page.location)
    assert page.location is None
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<script>alert(1)</script>" not in page.body
    assert page.headers["X-Frame-Options"] == "DENY"
