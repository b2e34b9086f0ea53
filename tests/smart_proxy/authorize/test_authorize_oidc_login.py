"""Signing in with the patient portal's OpenID provider: a tiny provider written here.

The provider serves discovery, a JWKS, an authorize endpoint that signs the
person in at once (redirecting back with a code) and a token endpoint that
checks the client secret and PKCE, then returns an RS256 ID token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

from smart_proxy.config.model import IdentityConfig, OidcConfig, Secret
from smart_proxy.state import StateStore

from .authz_browser import PUBLIC, Browser, Page
from .authz_flow import allow, code_of, code_record, pick, sign_in
from .conftest import DEMO_USERS, FakeClock, ProxyFactory, authorize_url

CLIENT_ID, CLIENT_SECRET = "smart-proxy", "portal-client-secret"
CALLBACK = PUBLIC + "/auth/oidc/callback"


@dataclass
class Portal:
    clock: FakeClock
    issuer: str = ""
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    )
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    subject: str = "portal-user-1"
    fhir_user: str = "https://ehr.example/fhir/Patient/p1"

    async def discovery(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
            }
        )

    async def jwks(self, _request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: web.Request) -> web.Response:
        query = request.query
        assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": query["nonce"],
            "challenge": query["code_challenge"],
            "redirect_uri": query["redirect_uri"],
        }
        location = f"{query['redirect_uri']}?code={code}&state={query['state']}"
        return web.Response(status=302, headers={"Location": location})

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.codes.pop(str(form["code"]), None)
        verifier = str(form["code_verifier"]).encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).decode().rstrip("=")
        if (
            grant is None
            or grant["challenge"] != challenge
            or grant["redirect_uri"] != form["redirect_uri"]
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(self.clock())
        claims = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "fhirUser": self.fhir_user,
            "name": "Amy Portal",
        }
        token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return web.json_response({"access_token": "x", "token_type": "Bearer", "id_token": token})


@pytest.fixture
async def portal(aiohttp_server: Any, clock: FakeClock) -> Portal:
    idp = Portal(clock)
    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", idp.discovery)
    app.router.add_get("/jwks", idp.jwks)
    app.router.add_get("/authorize", idp.authorize)
    app.router.add_post("/token", idp.token)
    server = await aiohttp_server(app)
    idp.issuer = str(server.make_url("")).rstrip("/")
    return idp


@pytest.fixture
async def browser(make_proxy: ProxyFactory, portal: Portal) -> Browser:
    oidc = OidcConfig(
        issuer=portal.issuer, client_id=CLIENT_ID, client_secret=Secret(CLIENT_SECRET)
    )
    return await make_proxy(identity=IdentityConfig(local_users=DEMO_USERS, oidc=oidc))


async def via_portal(browser: Browser, page: Page) -> tuple[str, Page]:
    """Press the portal button; let the provider answer; return the callback URL and page."""
    start = await browser.submit(page.form("/auth/login/oidc"))
    assert start.status == 303 and start.location is not None
    async with aiohttp.ClientSession() as outside:  # the provider is another site
        async with outside.get(start.location, allow_redirects=False) as answer:
            callback = answer.headers["Location"]
    assert callback.startswith(CALLBACK + "?")
    return callback, await browser.get(callback)


async def test_signing_in_through_the_portal(browser: Browser, auth_store: StateStore) -> None:
    login = await browser.get(
        authorize_url(scope="launch/patient openid fhirUser patient/Patient.rs")
    )
    assert "Sign in with the patient portal" in login.text
    assert login.form("/auth/login/oidc").get("tx") == login.form("/auth/login").get("tx")
    _, consent = await via_portal(browser, login)
    assert urlsplit(consent.url).path == "/auth/consent"  # a Patient acts for themselves only
    record = await code_record(auth_store, code_of(await allow(browser, consent)))
    assert (record.username, record.fhir_user, record.patient) == (
        "oidc:portal-user-1",
        "Patient/p1",
        "p1",
    )


async def test_the_callback_is_single_use_and_bound_to_the_browser(browser: Browser) -> None:
    login = await browser.get(authorize_url())
    start = await browser.submit(login.form("/auth/login/oidc"))
    state = parse_qs(urlsplit(start.location or "").query)["state"][0]
    stranger = Browser(browser.client)
    stolen = await stranger.get(f"{CALLBACK}?code=whatever&state={state}")
    assert stolen.status == 403
    replay = await browser.get(f"{CALLBACK}?code=whatever&state={state}")
    assert replay.status == 400  # the login record was taken by the first callback
    forged = await browser.get(f"{CALLBACK}?code=whatever&state=made-up")
    assert forged.status == 400


async def test_a_provider_error_is_explained(browser: Browser) -> None:
    login = await browser.get(authorize_url())
    start = await browser.submit(login.form("/auth/login/oidc"))
    state = parse_qs(urlsplit(start.location or "").query)["state"][0]
    page = await browser.get(f"{CALLBACK}?error=access_denied&state={state}")
    assert page.status == 401 and "did not sign you in" in page.text


async def test_the_portal_opens_a_session_for_connected_apps(browser: Browser) -> None:
    login = await browser.get(PUBLIC + "/patient/apps")
    _, page = await via_portal(browser, login)
    assert urlsplit(page.url).path == "/patient/apps"
    assert "Signed in as Amy Portal" in page.text


async def test_the_start_needs_the_csrf_token(browser: Browser) -> None:
    login = await browser.get(authorize_url())
    form = login.form("/auth/login/oidc").remove("csrf").add_hidden("csrf", "forged")
    assert (await browser.submit(form)).status == 403


async def test_a_signed_in_transaction_cannot_switch_to_a_portal_login(
    browser: Browser, auth_store: StateStore
) -> None:
    """Neither pressing the portal button later nor a late callback replaces the user."""
    login = await browser.get(authorize_url())
    start = await browser.submit(login.form("/auth/login/oidc"))
    assert start.status == 303 and start.location is not None
    async with aiohttp.ClientSession() as outside:
        async with outside.get(start.location, allow_redirects=False) as answer:
            late_callback = answer.headers["Location"]
    picker = await sign_in(browser, login, "amy")
    consent = await pick(browser, picker, "p2")
    again = await browser.submit(login.form("/auth/login/oidc"))
    assert urlsplit(again.url).path == "/auth/consent"  # not sent to the provider
    late = await browser.get(late_callback)
    assert urlsplit(late.url).path == "/auth/consent"
    record = await code_record(auth_store, code_of(await allow(browser, consent)))
    assert (record.username, record.fhir_user, record.patient) == ("amy", "Patient/p1", "p2")
