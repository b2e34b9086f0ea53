"""The authorization transaction: a :class:`PendingAuthorization` in the state store.

Created by ``/auth/authorize`` once the request is valid, keyed by a random
transaction id (``tx``) and carried through login, MFA, patient picker and
consent.  Every later step needs three things to act (regulatory.md SEC-01):

1. a live transaction (unknown or older than ``PENDING_TTL_S`` → 400 page);
2. the browser cookie whose SHA-256 the transaction holds (else 403): a ``tx``
   copied out of a URL into another browser is useless;
3. on every POST, the transaction's CSRF token, compared in constant time
   (missing → 400, wrong → 403), and nothing is stored on failure.

The last step ``take``s the transaction, so it yields at most one code or one
refusal even when two submissions race.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import replace
from typing import Any

from aiohttp import web

from ..auth.records import PENDING_NS, PENDING_TTL_S, LaunchContext, PendingAuthorization
from ..keys import CLOCK, STORE
from . import cookies
from .pages import message_page
from .request import AuthorizeRequest

TX_PARAM, CSRF_PARAM = "tx", "csrf"


async def create(
    request: web.Request,
    valid: AuthorizeRequest,
    launch: LaunchContext | None,
    browser_digest: str,
) -> PendingAuthorization:
    now = request.app[CLOCK]()
    pending = PendingAuthorization(
        tx_id=secrets.token_urlsafe(24),
        client_id=valid.app.client_id,
        redirect_uri=valid.redirect_uri,
        state=valid.state,
        scope_requested=valid.scope_requested,
        scopes_offered=valid.scopes_offered,
        code_challenge=valid.code_challenge,
        csrf=secrets.token_urlsafe(24),
        created_at=now,
        nonce=valid.nonce,
        launch=None if launch is None else launch.to_json(),
        patient=None if launch is None else launch.patient,
        encounter=None if launch is None else launch.encounter,
        fhir_user=None if launch is None else launch.fhir_user,  # the EHR vouches
        browser=browser_digest,
        aud=valid.aud,
    )
    await request.app[STORE].put(PENDING_NS, pending.tx_id, pending.to_json(), ttl=PENDING_TTL_S)
    return pending


def _expired(request: web.Request, pending: PendingAuthorization) -> bool:
    return request.app[CLOCK]() >= pending.created_at + PENDING_TTL_S


def _gone(request: web.Request) -> web.Response:
    return message_page(
        request,
        400,
        "This sign-in has expired",
        "This sign-in request is no longer valid. Go back to the app and start again.",
    )


async def load(request: web.Request, tx_id: Any) -> PendingAuthorization | web.Response:
    """The live transaction bound to this browser, or the page explaining why not."""
    if not isinstance(tx_id, str) or not tx_id or len(tx_id) > 64:
        return _gone(request)
    data = await request.app[STORE].get(PENDING_NS, tx_id)
    if data is None:
        return _gone(request)
    pending = PendingAuthorization.from_json(data)
    if _expired(request, pending):
        await request.app[STORE].delete(PENDING_NS, tx_id)
        return _gone(request)
    browser = cookies.digest_of(request, cookies.BROWSER)
    if browser is None or not hmac.compare_digest(browser, pending.browser):
        return message_page(
            request,
            403,
            "Continue in the browser you started in",
            "This sign-in was started in another browser or its cookie is missing. "
            "Go back to the app and start again.",
        )
    return pending


def csrf_refusal(
    request: web.Request, pending: PendingAuthorization, form: Any
) -> web.Response | None:
    """``None`` when the form's CSRF token is the transaction's; else the refusal page."""
    return check_csrf(request, pending.csrf, form)


def check_csrf(request: web.Request, expected: str, form: Any) -> web.Response | None:
    sent = form.get(CSRF_PARAM) if form is not None else None
    if not isinstance(sent, str) or not sent:
        return message_page(
            request,
            400,
            "The form was incomplete",
            "Please go back, reload the page and try again.",
        )
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return message_page(
            request, 403, "The form has expired", "Please go back, reload the page and try again."
        )
    return None


async def save(
    request: web.Request, pending: PendingAuthorization, **changes: Any
) -> PendingAuthorization:
    """Store ``pending`` with ``changes``; it keeps its original deadline."""
    updated = replace(pending, **changes)
    left = pending.created_at + PENDING_TTL_S - request.app[CLOCK]()
    await request.app[STORE].put(PENDING_NS, pending.tx_id, updated.to_json(), ttl=max(left, 1.0))
    return updated


async def finish(request: web.Request, pending: PendingAuthorization) -> bool:
    """Consume the transaction; ``False`` when another request already did."""
    return await request.app[STORE].take(PENDING_NS, pending.tx_id) is not None
