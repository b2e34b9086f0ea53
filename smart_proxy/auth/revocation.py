"""``POST /auth/revoke``: token revocation (RFC 7009, SMART 2.2 conformance
``revocation_endpoint``).

* The caller identifies itself as at the token endpoint: confidential clients
  authenticate, public clients send ``client_id`` (RFC 7009 §2.1); otherwise 401
  ``invalid_client``.
* ``token`` is required (``invalid_request``); ``token_type_hint`` only orders
  the lookups (RFC 7009 §2.1: the server "MUST extend its search").
* Only the client a token was issued to can revoke it; for anyone else, and for
  unknown, expired or already revoked tokens, the answer is the same 200 with
  nothing done (RFC 7009 §2.2: "invalid tokens do not cause an error"), so the
  endpoint tells nobody whether a token exists.
* Revoking an access token deletes its grant: the very next FHIR call with it
  is 401 (the FHIR route looks the grant up on every call).  Revoking a refresh
  token revokes its whole family and every access token issued in it (RFC 7009
  §2.1: "SHOULD also invalidate all access tokens based on the same
  authorization grant").
"""

from __future__ import annotations

import logging

from aiohttp import web

from ..grants import revoke_grant
from ..keys import CLOCK, STORE
from .client_auth import authenticate_client
from .families import revoke_family
from .oauth_errors import NO_STORE, InvalidClient, InvalidRequest, OAuthError
from .token_form import read_form
from .token_status import active_grant, active_refresh

log = logging.getLogger("smart_proxy.auth.revoke")


async def handle_revoke(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    try:
        form = await read_form(request)
        client = await authenticate_client(request, form, now)
        if client is None:
            raise InvalidClient("Identify the client: client_id or client authentication.")
        token = form.get("token")
        if token is None:
            raise InvalidRequest("token is required.")
    except OAuthError as error:
        log.info("revocation refused: error=%s", error.error)
        return error.response()
    revoked = await revoke(request.app, token, client.client_id, form.get("token_type_hint"), now)
    log.info("revocation by %s: %s", client.client_id, "done" if revoked else "nothing to revoke")
    return web.Response(status=200, headers=NO_STORE)


async def revoke(
    app: web.Application, token: str, client_id: str, hint: str | None, now: float
) -> bool:
    """Revoke ``token`` if it is live and ``client_id`` owns it; whether anything was revoked."""
    lookups = (_revoke_refresh, _revoke_access)
    if hint != "refresh_token":
        lookups = (_revoke_access, _revoke_refresh)
    for lookup in lookups:
        if await lookup(app, token, client_id, now):
            return True
    return False


async def _revoke_access(app: web.Application, token: str, client_id: str, now: float) -> bool:
    grant = await active_grant(app, token, now)
    if grant is None or grant.client_id != client_id:
        return False
    await revoke_grant(app[STORE], grant.grant_id)
    return True


async def _revoke_refresh(app: web.Application, token: str, client_id: str, now: float) -> bool:
    found = await active_refresh(app, token, now)
    if found is None or found.record.client_id != client_id:
        return False
    await revoke_family(app[STORE], found.record.family)
    return True
