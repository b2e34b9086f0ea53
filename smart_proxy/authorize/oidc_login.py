"""Sign in with the patient portal's OpenID Connect provider (when ``identity.oidc`` is set).

``POST /auth/login/oidc`` (from the login page's button, CSRF-checked) creates a
single-use login record -- the OIDC ``state``, ``nonce`` and PKCE verifier, the
transaction (or the login session) it belongs to, and the SHA-256 of the cookie
that binds the browser -- stored for ``OIDC_TTL_S`` under the SHA-256 of
``state``, then redirects to the provider (:meth:`OidcLogin.authorization_url`).

``GET /auth/oidc/callback`` takes that record by ``state`` (so a replayed
callback finds nothing), checks the same browser sent it, redeems the code and
validates the ID token (:meth:`OidcLogin.complete`), then continues the
transaction (or opens the login session).  The person's ``fhirUser`` comes from
the provider; a Patient acts for themselves only.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ..grants import token_digest
from ..identity import OidcError, OidcIdentity
from ..keys import CLOCK, STORE
from . import cookies
from .flow import advance
from .keys import OIDC
from .pages import message_page, page_url, redirect
from .session import current, safe_next, sign_in
from .transaction import check_csrf, load, save

OIDC_NS = "oidc_login"
OIDC_TTL_S = 10 * 60
CALLBACK = "/auth/oidc/callback"


def _unavailable(request: web.Request) -> web.Response:
    return message_page(
        request, 404, "Not available", "Signing in with the patient portal is not set up here."
    )


def _failed(request: web.Request, message: str, status: int = 401) -> web.Response:
    return message_page(request, status, "Signing in with the patient portal did not work", message)


async def start_oidc(request: web.Request) -> web.Response:
    if OIDC not in request.app:
        return _unavailable(request)
    form = await request.post()
    record: dict[str, Any]
    if "tx" in form:
        pending = await load(request, form.get("tx"))
        if isinstance(pending, web.Response):
            return pending
        if (refusal := check_csrf(request, pending.csrf, form)) is not None:
            return refusal
        if pending.fhir_user is not None:  # someone is signed in already: no switching
            return await advance(request, pending)
        record = {"tx": pending.tx_id, "cookie": cookies.BROWSER, "binding": pending.browser}
    else:
        session = await current(request)
        if session is None:
            return message_page(request, 400, "The form has expired", "Please reload the page.")
        if (refusal := check_csrf(request, session.csrf, form)) is not None:
            return refusal
        record = {
            "next": safe_next(form.get("next")),
            "cookie": cookies.SESSION,
            "binding": session.key,
        }
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    record.update(nonce=nonce, verifier=verifier)
    try:
        url = await request.app[OIDC].authorization_url(
            page_url(request, CALLBACK), state, nonce, verifier
        )
    except OidcError as exc:
        return _failed(request, str(exc), status=502)
    await request.app[STORE].put(OIDC_NS, token_digest(state), record, ttl=OIDC_TTL_S)
    return redirect(url, status=303)


def _patients(identity: OidcIdentity) -> tuple[str, ...]:
    kind, _, own_id = identity.fhir_user.partition("/")
    return (own_id,) if kind == "Patient" else ()


async def oidc_callback(request: web.Request) -> web.Response:
    if OIDC not in request.app:
        return _unavailable(request)
    state = request.query.get("state", "")
    record = await request.app[STORE].take(OIDC_NS, token_digest(state)) if state else None
    if record is None:
        return message_page(
            request, 400, "This sign-in has expired", "Go back to the app and start again."
        )
    sent = cookies.digest_of(request, str(record["cookie"]))
    if sent is None or not hmac.compare_digest(sent, str(record["binding"])):
        return message_page(
            request,
            403,
            "Continue in the browser you started in",
            "This sign-in was started in another browser. Go back to the app and start again.",
        )
    code = request.query.get("code")
    if "error" in request.query or not code:
        return _failed(request, "The patient portal did not sign you in.")
    try:
        identity = await request.app[OIDC].complete(
            code, page_url(request, CALLBACK), str(record["verifier"]), str(record["nonce"])
        )
    except OidcError as exc:
        return _failed(request, str(exc))
    return await _signed_in(request, record, identity)


async def _signed_in(
    request: web.Request, record: Mapping[str, Any], identity: OidcIdentity
) -> web.Response:
    username = f"oidc:{identity.subject}"
    if "tx" in record:
        pending = await load(request, record["tx"])
        if isinstance(pending, web.Response):
            return pending
        if pending.fhir_user is not None:  # signed in meanwhile: keep that user
            return await advance(request, pending)
        pending = await save(
            request,
            pending,
            username=username,
            fhir_user=identity.fhir_user,
            auth_time=request.app[CLOCK](),
            patients=_patients(identity),
        )
        return await advance(request, pending)
    name = identity.claims.get("name")
    value = await sign_in(
        request,
        await current(request),
        username=username,
        fhir_user=identity.fhir_user,
        display_name=name if isinstance(name, str) else identity.fhir_user,
        patients=_patients(identity),
    )
    response = redirect(page_url(request, str(record["next"])), status=303)
    cookies.attach(request, response, cookies.SESSION, value)
    return response
