"""``/auth/mfa``: the step-up TOTP check inside an authorization transaction.

Asked for by :mod:`.flow` when an enrolled user is about to consent to an app
for the first time or to grant ``offline_access``.  Codes are checked by
:func:`smart_proxy.identity.totp.verify` (six digits, ±1 step, never the same
code twice); wrong codes are throttled there: after ``max_failures`` the
account's MFA is locked and this page answers 429 with ``Retry-After`` and
"try again in N seconds" until the lock ends.  Passing marks the transaction
only (``mfa_passed``), never the account.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from ..auth.records import PendingAuthorization
from ..identity import totp
from ..keys import CLOCK, REGISTRY, STORE
from .flow import Step, advance, at_step, posted_step
from .keys import USERS
from .pages import page_url, render, retry_after, wait_text
from .transaction import load, save


def mfa_form(
    request: web.Request,
    pending: PendingAuthorization,
    *,
    error: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    app = request.app[REGISTRY].get(pending.client_id)
    return render(
        request,
        "mfa.html",
        status=status,
        headers=headers,
        title="Enter your verification code",
        app_name=app.name if app is not None else pending.client_id,
        action=page_url(request, "/auth/mfa"),
        tx=pending.tx_id,
        csrf=pending.csrf,
        error=error,
    )


async def _locked(request: web.Request, pending: PendingAuthorization) -> web.Response | None:
    assert pending.username is not None
    wait = await totp.locked_for(request.app[STORE], pending.username, request.app[CLOCK]())
    if wait <= 0:
        return None
    message = f"Too many wrong codes. Try again in {wait_text(wait)}."
    return mfa_form(request, pending, error=message, status=429, headers=retry_after(wait))


async def show_mfa(request: web.Request) -> web.Response:
    pending = await load(request, request.query.get("tx"))
    if isinstance(pending, web.Response):
        return pending
    pending = await at_step(request, pending, Step.MFA)
    if isinstance(pending, web.Response):
        return pending
    return mfa_form(request, pending)


async def submit_mfa(request: web.Request) -> web.Response:
    posted = await posted_step(request, Step.MFA)
    if isinstance(posted, web.Response):
        return posted
    form, pending = posted
    assert pending.username is not None  # flow asks for MFA only for our own accounts
    if (locked := await _locked(request, pending)) is not None:
        return locked
    store = request.app[STORE]
    secret = await totp.enrolled_secret(store, request.app.get(USERS), pending.username)
    code = form.get("code")
    code = code.strip() if isinstance(code, str) else ""
    now = request.app[CLOCK]()
    if secret is not None and await totp.verify(store, pending.username, secret, code, now):
        return await advance(request, await save(request, pending, mfa_passed=True))
    if (locked := await _locked(request, pending)) is not None:
        return locked
    return mfa_form(request, pending, error="That code is not correct.", status=401)
