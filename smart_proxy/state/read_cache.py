"""A short-lived local read cache in front of a shared store, for hot lookups.

DESIGN.md decision 1: grant lookups may be served from a per-replica cache whose
entries live at most one second, so a revocation made on another replica takes
effect within that second.  A write made *through this replica* (put, delete,
take, add) drops the cached key at once, and a read that raced the write is not
cached, so a revocation here is effective on the very next request.  Only the namespaces named at construction are cached;
absent keys are not cached (a token issued elsewhere is seen immediately).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import orjson
from cachetools import TTLCache

from .base import JsonDict, StateStore

MAX_STALENESS_S = 1.0
T = TypeVar("T")


class ReadCachedStore:
    def __init__(
        self,
        inner: StateStore,
        namespaces: Iterable[str],
        *,
        ttl: float = MAX_STALENESS_S,
        maxsize: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < ttl <= MAX_STALENESS_S:
            raise ValueError(f"cache ttl must be in (0, {MAX_STALENESS_S}] seconds")
        self.inner = inner
        self._namespaces = frozenset(namespaces)
        self._cache: TTLCache[tuple[str, str], bytes] = TTLCache(maxsize, ttl, timer=clock)
        self._pending: Counter[tuple[str, str]] = Counter()
        self._epoch = 0

    def __repr__(self) -> str:
        return f"ReadCachedStore({self.inner!r}, namespaces={sorted(self._namespaces)})"

    async def _write(self, namespace: str, key: str, operation: Awaitable[T]) -> T:
        """Run a write so that no read racing it can put the old value back in the cache:
        the key is dropped before and after, and the epoch moves on both sides."""
        slot = (namespace, key)
        self._cache.pop(slot, None)
        self._pending[slot] += 1
        self._epoch += 1
        try:
            return await operation
        finally:
            self._pending[slot] -= 1
            if not self._pending[slot]:
                del self._pending[slot]
            self._cache.pop(slot, None)
            self._epoch += 1

    async def get(self, namespace: str, key: str) -> JsonDict | None:
        if namespace not in self._namespaces:
            return await self.inner.get(namespace, key)
        slot = (namespace, key)
        cached = self._cache.get(slot)
        if cached is not None:
            return orjson.loads(cached)  # a fresh copy each time (cheaper than deepcopy)
        epoch = self._epoch
        value = await self.inner.get(namespace, key)
        # Kept only if no write started or ended meanwhile: a read that raced a revocation
        # must not bring the revoked grant back for a second.
        if value is not None and self._epoch == epoch and slot not in self._pending:
            self._cache[slot] = orjson.dumps(value)
        return value

    async def put(self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None) -> None:
        await self._write(namespace, key, self.inner.put(namespace, key, value, ttl))

    async def add(self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None) -> bool:
        return await self._write(namespace, key, self.inner.add(namespace, key, value, ttl))

    async def take(self, namespace: str, key: str) -> JsonDict | None:
        return await self._write(namespace, key, self.inner.take(namespace, key))

    async def delete(self, namespace: str, key: str) -> bool:
        return await self._write(namespace, key, self.inner.delete(namespace, key))

    async def ttl(self, namespace: str, key: str) -> float | None:
        return await self.inner.ttl(namespace, key)

    async def incr(self, namespace: str, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return await self.inner.incr(namespace, key, amount, ttl)

    async def set_add(self, namespace: str, key: str, *members: str, ttl: float | None = None) -> None:
        await self.inner.set_add(namespace, key, *members, ttl=ttl)

    async def set_remove(self, namespace: str, key: str, *members: str) -> None:
        await self.inner.set_remove(namespace, key, *members)

    async def set_members(self, namespace: str, key: str) -> set[str]:
        return await self.inner.set_members(namespace, key)

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()
