"""Grants and the opaque access tokens that point at them.

DESIGN.md decision 1: access tokens are 256-bit random strings; only their
SHA-256 is stored, mapped to the :class:`Grant` (who, which app, which patient,
which scopes, until when).  A token is therefore useless to anyone who can read
the store, and looking one up is a single keyed read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from scopes import ScopeSet

from .state import StateStore

GRANT_NS = "grant"
TOKEN_NS = "access"
TokenFactory = Callable[[], str]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Grant:
    """What one access token allows; times are POSIX seconds."""

    grant_id: str
    client_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    patient: str | None = None
    encounter: str | None = None
    fhir_user: str | None = None
    consent_id: str | None = None
    refresh_family: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def is_live(self, now: float) -> bool:
        return self.issued_at <= now < self.expires_at

    @property
    def scope_set(self) -> ScopeSet:
        """The parsed scopes (shared per process: parsing is not repeated per request)."""
        return ScopeSet.shared(self.scopes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Grant:
        return cls(**{**data, "scopes": tuple(data["scopes"])})


async def issue_access_token(
    store: StateStore, grant: Grant, now: float, token_factory: TokenFactory = new_token
) -> str:
    """Store ``grant`` under the hash of a fresh token and return the token."""
    token = token_factory()
    ttl = grant.expires_at - now
    if ttl <= 0:
        raise ValueError("grant is already expired")
    await store.put(GRANT_NS, grant.grant_id, grant.to_json(), ttl=ttl)
    await store.put(TOKEN_NS, token_digest(token), {"grant_id": grant.grant_id}, ttl=ttl)
    return token


async def grant_for_token(store: StateStore, token: str, now: float) -> Grant | None:
    """The live grant behind ``token``, or ``None`` (unknown, expired, revoked)."""
    pointer = await store.get(TOKEN_NS, token_digest(token))
    if pointer is None:
        return None
    data = await store.get(GRANT_NS, str(pointer["grant_id"]))
    if data is None:
        return None
    grant = Grant.from_json(data)
    return grant if grant.is_live(now) else None


async def revoke_grant(store: StateStore, grant_id: str) -> None:
    await store.delete(GRANT_NS, grant_id)
