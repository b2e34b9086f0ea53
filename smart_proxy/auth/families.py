"""Refresh-token families: every rotation of one authorization shares a family.

RFC 9700 §4.14.2 (refresh token rotation): when a spent refresh token is
presented again, the whole family is revoked, because either the client or an
attacker holds a stolen copy.  Consent withdrawal revokes families too.  A
family marker outlives its tokens (``FAMILY_TTL_S``) so a late replay is still
recognised.  The access tokens issued in a family are indexed under it
(:func:`link_family_grant`), so revoking the family ends them as well.
"""

from __future__ import annotations

from ..grants import revoke_grant
from ..state import StateStore
from .records import FAMILY_NS

FAMILY_TTL_S = 400 * 24 * 3600
FAMILY_GRANTS_NS = "refresh_family_grants"


async def link_family_grant(store: StateStore, family: str, grant_id: str) -> None:
    """Remember that access grant ``grant_id`` was issued in ``family``."""
    await store.set_add(FAMILY_GRANTS_NS, family, grant_id, ttl=FAMILY_TTL_S)


async def revoke_family(store: StateStore, family: str) -> None:
    """Mark the family revoked and revoke every access grant issued in it."""
    await store.put(FAMILY_NS, family, {"revoked": True}, ttl=FAMILY_TTL_S)
    for grant_id in await store.set_members(FAMILY_GRANTS_NS, family):
        await revoke_grant(store, grant_id)


async def is_family_revoked(store: StateStore, family: str) -> bool:
    marker = await store.get(FAMILY_NS, family)
    return marker is not None and bool(marker.get("revoked"))
