"""``grant_type=refresh_token`` (RFC 6749 §6, SMART 2.2 §"Refresh access token").

* The client: confidential clients authenticate exactly as at the code exchange;
  a public client may send its ``client_id`` or nothing at all (SMART's
  JavaScript client sends none) -- but whatever identifies a client must be the
  client the token was issued to (RFC 6749 §6: "the refresh token is bound to the
  client"), otherwise ``invalid_grant``.
* The token: unknown, expired, of a revoked family, or issued under a withdrawn
  consent → ``invalid_grant`` (400).  The app must still be approved.
* ``scope``: optional; when sent it may only narrow the original grant
  (:func:`scopes.narrow`); anything beyond it → ``invalid_scope``.  The refresh
  token keeps the original scopes (RFC 6749 §6: "identical to that of the
  refresh token included by the client").
* Rotation (RFC 9700 §4.14.2): every use spends the token and returns a new one
  of the same family; a spent token presented again revokes the family and all
  of its access tokens (:func:`~smart_proxy.auth.families.revoke_family`).
* The launch context (``patient``, ``encounter``, banner, style) comes back again
  (SMART 2.2; Inferno reads the patient with the refreshed token).
* Lifetimes: :mod:`.lifetimes` (offline renews for a new period, online does not).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from app_registry import ClientType, RegisteredApp
from scopes import narrow

from ..keys import REGISTRY, STORE
from .client_auth import authenticate_client
from .families import is_family_revoked, revoke_family
from .lifetimes import refresh_expiry
from .oauth_errors import InvalidClient, InvalidGrant, InvalidRequest, InvalidScope
from .refresh_tokens import find_refresh_token, spend
from .token_form import Form
from .token_issuance import Authorization, consent_expiry, issue_tokens, new_id

UNUSABLE_REFRESH = "The refresh token is invalid, expired or revoked."


async def refresh(request: web.Request, form: Form, now: float) -> dict[str, Any]:
    client = await authenticate_client(request, form, now)
    token = form.get("refresh_token")
    if token is None:
        raise InvalidRequest("refresh_token is required.")
    store = request.app[STORE]
    found = await find_refresh_token(store, token)
    if found is None or found.record.expires_at <= now:
        raise InvalidGrant(UNUSABLE_REFRESH)
    record = found.record
    app = _owner(request, record.client_id, now)
    if client is None and app.client_type is not ClientType.PUBLIC:
        raise InvalidClient("This client is confidential and must authenticate.")
    if client is not None and client.client_id != record.client_id:
        raise InvalidGrant("The refresh token was issued to another client.")
    if await is_family_revoked(store, record.family):
        raise InvalidGrant(UNUSABLE_REFRESH)
    try:
        not_after = await consent_expiry(request.app, record.consent_id, now)
    except InvalidGrant:
        await revoke_family(store, record.family)
        raise
    scopes = record.scopes
    if "scope" in form:
        narrowed = narrow(record.scopes, form["scope"])
        if narrowed.dropped or narrowed.nothing_granted:
            raise InvalidScope("The requested scope exceeds the original grant.")
        scopes = narrowed.granted
    if not await spend(store, found, now):
        await revoke_family(store, record.family)
        raise InvalidGrant("The refresh token was already used; its grant is revoked.")
    authz = Authorization.from_refresh(record)
    return await issue_tokens(
        request.app,
        app,
        authz,
        now=now,
        grant_id=new_id(),
        scopes=scopes,
        family=record.family,
        refresh_expires_at=refresh_expiry(
            app, record.scopes, now, previous_expiry=record.expires_at, consent_expiry=not_after
        ),
        not_after=not_after,
    )


def _owner(request: web.Request, client_id: str, now: float) -> RegisteredApp:
    app = request.app[REGISTRY].get(client_id)
    if app is None or not app.is_approved(datetime.fromtimestamp(now, UTC)):
        raise InvalidGrant("The app this refresh token was issued to is not approved.")
    return app
