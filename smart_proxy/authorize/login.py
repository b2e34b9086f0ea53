"""``/auth/login``: sign in with a local account (or pick the portal's OIDC login).

One form, two uses: with ``tx`` it signs a person in *for an authorization
transaction*; with ``next`` it opens a login session for the patient's own
pages (``/patient/apps``).  Rules (regulatory.md IDN-03/04, NIST SP 800-63B §5.2.2):

- throttled per account and per client IP *before* the password is checked;
  a throttled attempt gets 429, ``Retry-After`` and "try again in N seconds";
- one password check at a time per account (an atomic ``add`` of a short-lived
  marker, on every replica): otherwise a burst of parallel attempts would all
  pass the throttle before the first failure is counted;
- an unknown username and a wrong password get the very same page and status
  (401), and cost the same time (:meth:`UserDirectory.authenticate`);
- the submitted username is never echoed back into the page;
- a transaction that already has a user (an EHR launch that vouched for one)
  goes straight on to its next step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from ..auth.records import PendingAuthorization
from ..identity import LocalUser, LoginThrottle, UserDirectory, account_key
from ..keys import CLOCK, REGISTRY, STORE
from . import cookies
from .flow import advance
from .keys import OIDC, USERS
from .pages import message_page, page_url, redirect, render, retry_after, wait_text
from .session import anonymous, current, safe_next, sign_in
from .transaction import check_csrf, load, save

WRONG_CREDENTIALS = "The username or password is not correct."
IN_FLIGHT_NS, IN_FLIGHT_TTL_S = "login-in-flight", 30.0
Rerender = Callable[..., web.Response]


def login_form(
    request: web.Request,
    *,
    csrf: str,
    pending: PendingAuthorization | None = None,
    next_page: str | None = None,
    error: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    app = request.app[REGISTRY].get(pending.client_id) if pending is not None else None
    return render(
        request,
        "login.html",
        status=status,
        headers=headers,
        title="Sign in",
        app_name=app.name if app is not None else None,
        action=page_url(request, "/auth/login"),
        oidc_action=page_url(request, "/auth/login/oidc"),
        local=USERS in request.app,
        oidc=OIDC in request.app,
        tx=pending.tx_id if pending is not None else None,
        next_page=next_page,
        csrf=csrf,
        error=error,
    )


async def show_login(request: web.Request) -> web.Response:
    if "tx" in request.query:
        pending = await load(request, request.query.get("tx"))
        if isinstance(pending, web.Response):
            return pending
        if pending.fhir_user is not None:
            return await advance(request, pending)
        return login_form(request, csrf=pending.csrf, pending=pending)
    value, session = await anonymous(request)
    next_page = safe_next(request.query.get("next"))
    if session.signed_in:
        return redirect(page_url(request, next_page), status=303)
    response = login_form(request, csrf=session.csrf, next_page=next_page)
    if value is not None:
        cookies.attach(request, response, cookies.SESSION, value)
    return response


async def check_password(
    request: web.Request, form: Mapping[str, Any], rerender: Rerender
) -> LocalUser | web.Response:
    users = request.app.get(USERS)
    if users is None:
        return rerender(status=400, error="Signing in with a password is not available here.")
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return rerender(status=400, error="Enter your username and password.")
    username = username.strip()
    if not username or not password:
        return rerender(status=400, error="Enter your username and password.")
    store, marker = request.app[STORE], account_key(username)
    if not await store.add(IN_FLIGHT_NS, marker, {}, ttl=IN_FLIGHT_TTL_S):
        return _throttled(rerender, 1.0)
    try:
        return await _throttled_check(request, users, username, password, rerender)
    finally:
        await store.delete(IN_FLIGHT_NS, marker)


def _throttled(rerender: Rerender, wait: float) -> web.Response:
    message = f"Too many sign-in attempts. Try again in {wait_text(wait)}."
    return rerender(status=429, error=message, headers=retry_after(wait))


async def _throttled_check(
    request: web.Request, users: UserDirectory, username: str, password: str, rerender: Rerender
) -> LocalUser | web.Response:
    throttle = LoginThrottle(request.app[STORE], request.app[CLOCK])
    ip = request.remote or "unknown"
    verdict = await throttle.check(username, ip)
    if not verdict.allowed:
        return _throttled(rerender, verdict.retry_after_s)
    user = await users.authenticate(username, password)
    if user is None:
        await throttle.failure(username, ip)
        return rerender(status=401, error=WRONG_CREDENTIALS)
    await throttle.success(username, ip)
    return user


async def submit_login(request: web.Request) -> web.Response:
    form = await request.post()
    if "tx" in form:
        return await _transaction_login(request, form)
    return await _session_login(request, form)


async def _transaction_login(request: web.Request, form: Mapping[str, Any]) -> web.Response:
    pending = await load(request, form.get("tx"))
    if isinstance(pending, web.Response):
        return pending
    if (refusal := check_csrf(request, pending.csrf, form)) is not None:
        return refusal
    if pending.fhir_user is not None:
        return await advance(request, pending)

    def rerender(**kwargs: Any) -> web.Response:
        return login_form(request, csrf=pending.csrf, pending=pending, **kwargs)

    user = await check_password(request, form, rerender)
    if isinstance(user, web.Response):
        return user
    pending = await save(
        request,
        pending,
        username=user.username,
        fhir_user=user.fhir_user,
        auth_time=request.app[CLOCK](),
        patients=user.patients,
    )
    return await advance(request, pending)


async def _session_login(request: web.Request, form: Mapping[str, Any]) -> web.Response:
    session = await current(request)
    if session is None:
        return message_page(
            request, 400, "The form has expired", "Please go back, reload the page and try again."
        )
    if (refusal := check_csrf(request, session.csrf, form)) is not None:
        return refusal
    next_page = safe_next(form.get("next"))

    def rerender(**kwargs: Any) -> web.Response:
        return login_form(request, csrf=session.csrf, next_page=next_page, **kwargs)

    user = await check_password(request, form, rerender)
    if isinstance(user, web.Response):
        return user
    value = await sign_in(
        request,
        session,
        username=user.username,
        fhir_user=user.fhir_user,
        display_name=user.display_name,
        patients=user.patients,
    )
    response = redirect(page_url(request, next_page), status=303)
    cookies.attach(request, response, cookies.SESSION, value)
    return response
