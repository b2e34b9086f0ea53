"""Is a token this server issued still good?  One answer for introspection and revocation.

A token is *active* (RFC 7662 §2.2) only if every one of these holds now:

* it is known and unexpired (access: a live :class:`~smart_proxy.grants.Grant`;
  refresh: an unspent, unexpired record);
* its app is still approved in the registry (a suspension ends its tokens);
* its consent, if any, is still active (withdrawal ends them);
* its refresh family, if any, has not been revoked (reuse detection, RFC 7009).

Access tokens are opaque (DESIGN decision 1), so this is a store lookup, never a
signature check; the FHIR gate and introspection can therefore never disagree
about revocation.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from ..grants import Grant, grant_for_token
from ..keys import CONSENTS, REGISTRY, STORE
from .families import is_family_revoked
from .refresh_tokens import StoredRefresh, find_refresh_token, is_spent

MAX_TOKEN_CHARS = 512


async def active_grant(app: web.Application, token: str, now: float) -> Grant | None:
    if len(token) > MAX_TOKEN_CHARS:
        return None
    grant = await grant_for_token(app[STORE], token, now)
    if grant is None or not await _still_allowed(app, grant.client_id, grant.consent_id, now):
        return None
    family = grant.refresh_family
    if family is not None and await is_family_revoked(app[STORE], family):
        return None
    return grant


async def active_refresh(app: web.Application, token: str, now: float) -> StoredRefresh | None:
    store = app[STORE]
    found = await find_refresh_token(store, token)
    if found is None or found.record.expires_at <= now:
        return None
    record = found.record
    if await is_spent(store, found) or await is_family_revoked(store, record.family):
        return None
    if not await _still_allowed(app, record.client_id, record.consent_id, now):
        return None
    return found


async def _still_allowed(
    app: web.Application, client_id: str, consent_id: str | None, now: float
) -> bool:
    registered = app[REGISTRY].get(client_id)
    if registered is None or not registered.is_approved(datetime.fromtimestamp(now, UTC)):
        return False
    return consent_id is None or await app[CONSENTS].is_active(consent_id, now)
