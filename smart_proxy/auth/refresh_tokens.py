"""Refresh tokens: opaque, stored hashed, rotated on every use.

RFC 6749 §6 and §10.4, RFC 9700 §4.14.2, SMART App Launch 2.2 §"Refresh access
token".  A refresh token is a 256-bit random string; the store keeps only its
SHA-256, mapped to a :class:`~smart_proxy.auth.records.RefreshRecord` (client,
scopes, launch context, consent, family, expiry).  Using one *spends* it: a
spent marker is written with the store's atomic ``add``, so of two concurrent
uses exactly one wins, and the record itself is kept until it expires.  A
second use of a spent token is reuse -- the caller revokes the whole family.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..grants import TokenFactory, token_digest
from ..state import StateStore
from .records import REFRESH_NS, RefreshRecord

SPENT_NS = "refresh_spent"
MAX_TOKEN_CHARS = 512


@dataclass(frozen=True)
class StoredRefresh:
    digest: str
    record: RefreshRecord


async def store_refresh_token(
    store: StateStore, record: RefreshRecord, now: float, token_factory: TokenFactory
) -> str:
    """Keep ``record`` under the hash of a fresh token until it expires; the token."""
    token = token_factory()
    await store.put(REFRESH_NS, token_digest(token), record.to_json(), ttl=record.expires_at - now)
    return token


async def find_refresh_token(store: StateStore, token: str) -> StoredRefresh | None:
    """The record behind ``token`` (spent or not), or ``None`` if unknown or expired."""
    if len(token) > MAX_TOKEN_CHARS:
        return None
    digest = token_digest(token)
    data = await store.get(REFRESH_NS, digest)
    return None if data is None else StoredRefresh(digest, RefreshRecord.from_json(data))


async def spend(store: StateStore, found: StoredRefresh, now: float) -> bool:
    """Mark the token spent; ``True`` for the first use, ``False`` for a reuse."""
    ttl = max(1.0, found.record.expires_at - now)
    return await store.add(SPENT_NS, found.digest, {"family": found.record.family}, ttl=ttl)


async def is_spent(store: StateStore, found: StoredRefresh) -> bool:
    return await store.get(SPENT_NS, found.digest) is not None
