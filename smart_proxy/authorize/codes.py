"""The end of a transaction: an authorization code, or ``access_denied``, sent to the app.

The code (RFC 6749 §4.1.2) is a fresh value from ``TOKEN_FACTORY``; only its
SHA-256 is stored, under ``CODE_NS`` for ``CODE_TTL_S`` seconds, holding what the
token endpoint needs and nothing it must recompute: the client, redirect URI and
PKCE challenge it must match, the granted scopes as literal strings, the user,
the launch context, ``nonce`` and the consent it was issued under
(smart-conformance.md item 29).  Both outcomes first ``take`` the transaction,
so one transaction yields one answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from aiohttp import web

from ..auth.records import CODE_NS, CODE_TTL_S, AuthorizationCode, PendingAuthorization
from ..consent import ConsentRecord
from ..grants import token_digest
from ..keys import CLOCK, CONSENTS, REGISTRY, STORE, TOKEN_FACTORY
from .app_redirect import code_redirect, error_redirect
from .pages import message_page
from .transaction import finish


def _already_answered(request: web.Request) -> web.Response:
    return message_page(
        request,
        400,
        "This request was already answered",
        "This sign-in request has already been completed. Go back to the app.",
    )


def app_withdrawn(request: web.Request, pending: PendingAuthorization) -> web.Response | None:
    """A page (and no redirect) when the app stopped being approved during the flow."""
    now = datetime.fromtimestamp(request.app[CLOCK](), UTC)
    app = request.app[REGISTRY].get(pending.client_id)
    if app is not None and app.is_approved(now) and app.check_redirect_uri(pending.redirect_uri):
        return None
    return message_page(
        request, 400, "This app is not available", "This app can no longer be connected."
    )


async def issue_code(
    request: web.Request,
    pending: PendingAuthorization,
    scopes: Sequence[str],
    consent: ConsentRecord | None,
) -> web.Response:
    """Consume the transaction, save ``consent`` (if any), store the code, redirect."""
    if (withdrawn := app_withdrawn(request, pending)) is not None:
        return withdrawn
    if not await finish(request, pending):
        return _already_answered(request)
    if consent is not None:
        await request.app[CONSENTS].save(consent)
    code = request.app[TOKEN_FACTORY]()
    launch = pending.launch
    record = AuthorizationCode(
        client_id=pending.client_id,
        redirect_uri=pending.redirect_uri,
        code_challenge=pending.code_challenge,
        scopes=tuple(scopes),
        issued_at=request.app[CLOCK](),
        username=pending.username,
        fhir_user=pending.fhir_user,
        patient=pending.patient,
        encounter=pending.encounter,
        nonce=pending.nonce,
        consent_id=None if consent is None else consent.consent_id,
        auth_time=pending.auth_time,
        need_patient_banner=None if launch is None else bool(launch.get("need_patient_banner")),
        aud=pending.aud,
    )
    await request.app[STORE].put(CODE_NS, token_digest(code), record.to_json(), ttl=CODE_TTL_S)
    return code_redirect(pending.redirect_uri, code, pending.state)


async def deny(
    request: web.Request, pending: PendingAuthorization, description: str
) -> web.Response:
    """``access_denied`` to the app (RFC 6749 §4.1.2.1; SMART: the user said no)."""
    if (withdrawn := app_withdrawn(request, pending)) is not None:
        return withdrawn
    if not await finish(request, pending):
        return _already_answered(request)
    return error_redirect(pending.redirect_uri, "access_denied", description, pending.state)
