"""In-process :class:`~smart_proxy.state.base.StateStore` on a cachetools ``TLRUCache``.

Every entry carries its own absolute expiry (``math.inf`` for "never"), read by
the cache through the injected ``clock``, so tests control time exactly.

Atomicity: no method awaits between reading and writing an entry, and the event
loop runs one coroutine at a time, so every method is atomic for the process.

Values are stored as orjson bytes: callers can never mutate stored state
through an object they passed in or got back, and a value that would not
survive Redis (not JSON-compatible) fails here too, with ``TypeError``.

When ``maxsize`` live entries exist, writing a new key raises
:class:`StoreUnavailable` instead of evicting the least recently used entry:
silently dropping a replay guard or a consent record would be a security or
data-loss bug, while a refusal is visible and fails closed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from cachetools import TLRUCache

from smart_proxy.state.base import JsonDict, StoreUnavailable, check_namespace, check_ttl

_Kind = Literal["value", "counter", "set"]


@dataclass(slots=True)
class _Entry:
    kind: _Kind
    data: Any  # bytes (value) | int (counter) | set[str] (set)
    expires: float


class _NoEvictionCache(TLRUCache[tuple[str, str], _Entry]):
    """Expired entries are purged before each insert; live ones are never evicted."""

    def popitem(self) -> tuple[tuple[str, str], _Entry]:
        raise StoreUnavailable(f"memory store is full ({self.maxsize} live entries)")


class MemoryStore:
    """One process's state.  ``clock`` returns seconds (monotonic by default)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, maxsize: int = 100_000
    ) -> None:
        self._clock = clock
        self._cache = _NoEvictionCache(
            maxsize, ttu=lambda _key, entry, _now: entry.expires, timer=clock
        )

    def __repr__(self) -> str:
        return f"MemoryStore(entries={len(self._cache)}, maxsize={self._cache.maxsize})"

    # -- internals: no awaits anywhere below, which is what makes each method atomic

    def _expires(self, ttl: float | None) -> float:
        ttl = check_ttl(ttl)
        return math.inf if ttl is None else self._clock() + ttl

    def _live(self, namespace: str, key: str, kind: _Kind | None) -> _Entry | None:
        entry = self._cache.get((check_namespace(namespace), key))
        if entry is None or not self._clock() < entry.expires:
            return None
        if kind is not None and entry.kind != kind:
            raise TypeError(f"{namespace}:{key} holds a {entry.kind}, not a {kind}")
        return entry

    def _drop(self, namespace: str, key: str) -> None:
        try:
            del self._cache[(namespace, key)]
        except KeyError:  # already gone, or expired this very instant
            pass

    def _store(self, namespace: str, key: str, entry: _Entry) -> None:
        self._cache[(check_namespace(namespace), key)] = entry

    @staticmethod
    def _encode(value: Mapping[str, Any]) -> bytes:
        return orjson.dumps(dict(value))

    # -- StateStore

    async def get(self, namespace: str, key: str) -> JsonDict | None:
        entry = self._live(namespace, key, "value")
        return None if entry is None else orjson.loads(entry.data)

    async def put(
        self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None
    ) -> None:
        self._store(namespace, key, _Entry("value", self._encode(value), self._expires(ttl)))

    async def add(
        self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None
    ) -> bool:
        entry = _Entry("value", self._encode(value), self._expires(ttl))
        if self._live(namespace, key, None) is not None:
            return False
        self._store(namespace, key, entry)
        return True

    async def take(self, namespace: str, key: str) -> JsonDict | None:
        entry = self._live(namespace, key, "value")
        if entry is None:
            return None
        self._drop(namespace, key)
        return orjson.loads(entry.data)

    async def delete(self, namespace: str, key: str) -> bool:
        if self._live(namespace, key, None) is None:
            return False
        self._drop(namespace, key)
        return True

    async def ttl(self, namespace: str, key: str) -> float | None:
        entry = self._live(namespace, key, None)
        if entry is None or entry.expires == math.inf:
            return None
        return entry.expires - self._clock()

    async def incr(
        self, namespace: str, key: str, amount: int = 1, ttl: float | None = None
    ) -> int:
        expires = self._expires(ttl)
        entry = self._live(namespace, key, "counter")
        if entry is None:
            self._store(namespace, key, _Entry("counter", amount, expires))
            return amount
        entry.data += amount  # in place: the cache keeps the original expiry
        return int(entry.data)

    async def set_add(
        self, namespace: str, key: str, *members: str, ttl: float | None = None
    ) -> None:
        expires = self._expires(ttl)
        if not members:
            return
        entry = self._live(namespace, key, "set")
        merged = set(members) if entry is None else entry.data | set(members)
        if ttl is None:
            expires = math.inf if entry is None else entry.expires
        self._store(namespace, key, _Entry("set", merged, expires))

    async def set_remove(self, namespace: str, key: str, *members: str) -> None:
        entry = self._live(namespace, key, "set")
        if entry is None:
            return
        entry.data.difference_update(members)
        if not entry.data:  # like Redis: an empty set does not exist
            self._drop(namespace, key)

    async def set_members(self, namespace: str, key: str) -> set[str]:
        entry = self._live(namespace, key, "set")
        return set() if entry is None else set(entry.data)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        """Nothing to release; the data stays readable until the store is dropped."""
