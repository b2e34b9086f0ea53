"""The person-facing side of the authorization server: authorize, login, MFA, consent, EHR launch.

Page flow of one authorization (each step computed by :mod:`.flow`)::

    app ──GET/POST /auth/authorize──> checks (client + redirect_uri → 400 page;
        │                             everything else → error redirect with state)
        │  303 + browser cookie
        v
    /auth/login?tx=…  ── local password (throttled) or "Sign in with the patient
        │                portal" (/auth/login/oidc → provider → /auth/oidc/callback);
        │                skipped when an EHR launch context vouches for the user
        v
    /auth/patient?tx=…  (only if the user may act for several patients)
        v
    /auth/mfa?tx=…      (only if TOTP is enrolled and this is the first consent
        │                to the app, or offline_access is asked for)
        v
    /auth/consent?tx=…  Allow → ConsentRecord + code → 302 redirect_uri?code&state
                        Deny  → 302 redirect_uri?error=access_denied&state
    (clinicians skip the consent screen: institutional policy, no patient consent)

Also: ``POST /auth/ehr-launch`` (the EHR creates launch contexts), and the
patient's own pages: ``/patient/apps`` (connected apps, revoke), ``/patient/mfa``
(enrol an authenticator), ``/patient/logout``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from ..identity import OidcLogin, UserDirectory
from ..keys import CLOCK, CONFIG
from .consent_page import show_consent, submit_consent
from .ehr_launch import create_launch
from .endpoint import authorize
from .enrol import show_enrol, submit_enrol
from .keys import JINJA, OIDC, USERS
from .login import show_login, submit_login
from .manage import connected_apps, logout, revoke_app
from .mfa import show_mfa, submit_mfa
from .oidc_login import CALLBACK, oidc_callback, start_oidc
from .pages import make_environment
from .picker import show_picker, submit_picker

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

__all__ = ["STATIC_DIR", "add_authorize_routes"]


async def _oidc_client(app: web.Application) -> AsyncIterator[None]:
    settings = app[CONFIG].identity.oidc
    assert settings is not None
    async with aiohttp.ClientSession() as session:
        app[OIDC] = OidcLogin(settings, session, app[CLOCK])
        yield


def add_authorize_routes(app: web.Application) -> None:
    """Register every route of this package; loads the users file (fails loudly)."""
    app[JINJA] = make_environment()
    identity = app[CONFIG].identity
    if identity.local_users is not None:
        app[USERS] = UserDirectory.load(identity.local_users)
    if identity.oidc is not None:
        app.cleanup_ctx.append(_oidc_client)
    router = app.router
    router.add_get("/auth/authorize", authorize)
    router.add_post("/auth/authorize", authorize)
    router.add_get("/auth/login", show_login)
    router.add_post("/auth/login", submit_login)
    router.add_post("/auth/login/oidc", start_oidc)
    router.add_get(CALLBACK, oidc_callback)
    router.add_get("/auth/patient", show_picker)
    router.add_post("/auth/patient", submit_picker)
    router.add_get("/auth/mfa", show_mfa)
    router.add_post("/auth/mfa", submit_mfa)
    router.add_get("/auth/consent", show_consent)
    router.add_post("/auth/consent", submit_consent)
    router.add_post("/auth/ehr-launch", create_launch)
    router.add_get("/patient/apps", connected_apps)
    router.add_post("/patient/apps/revoke", revoke_app)
    router.add_post("/patient/logout", logout)
    router.add_get("/patient/mfa", show_enrol)
    router.add_post("/patient/mfa", submit_enrol)
    router.add_static("/auth/static", STATIC_DIR)
