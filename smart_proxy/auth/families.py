"""Refresh-token families: every rotation of one authorization shares a family.

RFC 9700 §4.14.2 (refresh token rotation): when a spent refresh token is
presented again, the whole family is revoked, because either the client or an
attacker holds a stolen copy.  Consent withdrawal revokes families too.  A
family marker outlives its tokens (``FAMILY_TTL_S``) so a late replay is still
recognised.
"""

from __future__ import annotations

from ..state import StateStore
from .records import FAMILY_NS

FAMILY_TTL_S = 400 * 24 * 3600


async def revoke_family(store: StateStore, family: str) -> None:
    await store.put(FAMILY_NS, family, {"revoked": True}, ttl=FAMILY_TTL_S)


async def is_family_revoked(store: StateStore, family: str) -> bool:
    marker = await store.get(FAMILY_NS, family)
    return marker is not None and bool(marker.get("revoked"))
