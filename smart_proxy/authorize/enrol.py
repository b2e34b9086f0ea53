"""``/patient/mfa``: a signed-in person adds an authenticator app (TOTP, RFC 6238).

The page shows a fresh secret and its ``otpauth://`` URI as text -- no QR image
from an outside service, which would hand the secret to a third party -- and
asks for a first code; only a valid code stores the enrolment
(:func:`smart_proxy.identity.totp.enrol`), so nobody is locked out by a
mistyped secret.  The secret waits in the login session until then.  Wrong
codes are throttled like every TOTP check.  An existing enrolment is never
replaced here: resetting a lost authenticator is an administrator's job.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from ..identity import totp
from ..keys import CLOCK, ENDPOINTS, STORE
from .keys import USERS
from .manage import signed_in
from .pages import message_page, page_url, render, retry_after, wait_text
from .session import LoginSession, update
from .transaction import check_csrf

NEXT_PAGE = "/patient/mfa"


def _already(request: web.Request) -> web.Response:
    return message_page(
        request,
        200,
        "Two-step verification is on",
        "Your account already uses an authenticator app. To replace it, contact support.",
        link=page_url(request, "/patient/apps"),
        link_text="Back to your connected apps",
    )


def enrol_form(
    request: web.Request,
    session: LoginSession,
    secret: str,
    *,
    error: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    assert session.username is not None
    issuer = request.app[ENDPOINTS].public_url.host or "smart-proxy"
    return render(
        request,
        "enrol.html",
        status=status,
        headers=headers,
        title="Add an authenticator app",
        secret=secret,
        uri=totp.provisioning_uri(secret, session.username, issuer),
        action=page_url(request, NEXT_PAGE),
        csrf=session.csrf,
        error=error,
    )


async def show_enrol(request: web.Request) -> web.Response:
    session = await signed_in(request, NEXT_PAGE, patients_only=False)
    if isinstance(session, web.Response):
        return session
    assert session.username is not None
    if await totp.is_enrolled(request.app[STORE], request.app.get(USERS), session.username):
        return _already(request)
    if session.enrol_secret is None:
        session = await update(request, session, enrol_secret=totp.new_secret())
    assert session.enrol_secret is not None
    return enrol_form(request, session, session.enrol_secret)


async def submit_enrol(request: web.Request) -> web.Response:
    session = await signed_in(request, NEXT_PAGE, patients_only=False)
    if isinstance(session, web.Response):
        return session
    form = await request.post()
    if (refusal := check_csrf(request, session.csrf, form)) is not None:
        return refusal
    store, username = request.app[STORE], session.username
    assert username is not None
    if await totp.is_enrolled(store, request.app.get(USERS), username):
        return _already(request)
    secret = session.enrol_secret
    if secret is None:
        return message_page(request, 400, "The form has expired", "Please reload the page.")
    now = request.app[CLOCK]()
    code = form.get("code")
    code = code.strip() if isinstance(code, str) else ""
    if await totp.enrol(store, username, secret, code, now):
        await update(request, session, enrol_secret=None)
        return message_page(
            request,
            200,
            "Two-step verification is on",
            "From now on you will be asked for a code from your authenticator app before "
            "you connect a new app or let an app keep access while you are away.",
            link=page_url(request, "/patient/apps"),
            link_text="Back to your connected apps",
        )
    wait = await totp.locked_for(store, username, now)
    if wait > 0:
        message = f"Too many wrong codes. Try again in {wait_text(wait)}."
        return enrol_form(
            request, session, secret, error=message, status=429, headers=retry_after(wait)
        )
    return enrol_form(request, session, secret, error="That code is not correct.", status=401)
