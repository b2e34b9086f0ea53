"""The one interface behind which the proxy keeps all of its state.

Everything the proxy remembers between requests -- token hashes and their grants,
authorization codes, login sessions, consent records, rate-limit and throttle
counters, small caches -- goes through :class:`StateStore`.  Two backends
implement it: :class:`~smart_proxy.state.memory.MemoryStore` (one process, the
embedded default) and :class:`~smart_proxy.state.redis.RedisStore` (many
replicas).  ``tests/smart_proxy/state/test_contract.py`` runs one suite against both.

Values are JSON-compatible mappings.  Keys live in a *namespace* (``"grant"``,
``"code"``, ...) so backends can prefix and operators can inspect them.  TTLs are
seconds (float allowed); ``None`` means "no expiry".  An expired entry is
indistinguishable from an absent one.  A TTL must be positive: ``0`` or a
negative number is a caller bug (``ValueError``), never "already expired".

A key holds one kind of thing -- a value, a counter or a set -- for its whole
life; namespaces never contain ``":"`` (backends join them with it).

Operations that guard security properties are atomic on every backend:
``take`` (single-use codes), ``add`` (jti / replay guards) and ``incr``
(counters).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

JsonDict = dict[str, Any]


class StoreUnavailable(Exception):
    """The backing store did not answer; callers fail closed (503).

    Messages never contain credentials from the store's URL.
    """


def check_namespace(namespace: str) -> str:
    """``namespace`` unchanged if usable, else ``ValueError``."""
    if not namespace or ":" in namespace:
        raise ValueError(f"namespace must be non-empty and contain no ':': {namespace!r}")
    return namespace


def check_ttl(ttl: float | None) -> float | None:
    """``ttl`` unchanged if ``None`` or positive and finite, else ``ValueError``."""
    if ttl is not None and not (ttl > 0 and math.isfinite(ttl)):  # NaN fails both
        raise ValueError(f"ttl must be a positive number of seconds or None, not {ttl!r}")
    return ttl


@runtime_checkable
class StateStore(Protocol):
    async def get(self, namespace: str, key: str) -> JsonDict | None:
        """The value stored under ``key``, or ``None`` when absent or expired."""

    async def put(
        self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None
    ) -> None:
        """Store ``value``, replacing any previous value and TTL.

        A value that is not JSON-compatible raises ``TypeError`` and stores nothing.
        """

    async def add(
        self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None
    ) -> bool:
        """Store ``value`` only if ``key`` is absent; ``True`` if this call stored it."""

    async def take(self, namespace: str, key: str) -> JsonDict | None:
        """Atomically read and delete: of two concurrent callers, only one gets the value."""

    async def delete(self, namespace: str, key: str) -> bool:
        """Remove ``key``; ``True`` if something was removed."""

    async def ttl(self, namespace: str, key: str) -> float | None:
        """Seconds left for ``key``; ``None`` when absent or stored without expiry."""

    async def incr(
        self, namespace: str, key: str, amount: int = 1, ttl: float | None = None
    ) -> int:
        """Atomically add ``amount`` and return the new value.

        ``ttl`` applies when the counter is created (fixed window); later
        increments do not extend it.
        """

    async def set_add(
        self, namespace: str, key: str, *members: str, ttl: float | None = None
    ) -> None:
        """Add members to the set ``key`` (an index such as "grants of patient X").

        ``ttl``, when given, is (re)applied to the whole set; without it an
        existing set keeps its expiry.  No members: nothing happens.
        """

    async def set_remove(self, namespace: str, key: str, *members: str) -> None:
        """Remove members from the set ``key``; a set left empty no longer exists."""

    async def set_members(self, namespace: str, key: str) -> set[str]:
        """All members of the set ``key`` (empty when absent)."""

    async def ping(self) -> bool:
        """``True`` when the backend answers (used by ``/readyz``); never raises."""

    async def close(self) -> None:
        """Release connections."""
