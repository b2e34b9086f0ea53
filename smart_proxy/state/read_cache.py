"""A short-lived local read cache in front of a shared store, for hot lookups.

DESIGN.md decision 1: grant lookups may be served from a per-replica cache whose
entries live at most one second, so a revocation made on another replica takes
effect within that second.  A write made *through this replica* (put, delete,
take, add) drops the cached key at once, so a revocation here is effective on
the very next request.  Only the namespaces named at construction are cached;
absent keys are not cached (a token issued elsewhere is seen immediately).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from cachetools import TTLCache

from .base import JsonDict, StateStore

MAX_STALENESS_S = 1.0


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

    def __repr__(self) -> str:
        return f"ReadCachedStore({self.inner!r}, namespaces={sorted(self._namespaces)})"

    def _forget(self, namespace: str, key: str) -> None:
        self._cache.pop((namespace, key), None)

    async def get(self, namespace: str, key: str) -> JsonDict | None:
        if namespace not in self._namespaces:
            return await self.inner.get(namespace, key)
        cached = self._cache.get((namespace, key))
        if cached is not None:
            return orjson.loads(cached)  # a fresh copy each time (cheaper than deepcopy)
        value = await self.inner.get(namespace, key)
        if value is not None:
            self._cache[(namespace, key)] = orjson.dumps(value)
        return value

    async def put(self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None) -> None:
        self._forget(namespace, key)
        await self.inner.put(namespace, key, value, ttl)

    async def add(self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None) -> bool:
        self._forget(namespace, key)
        return await self.inner.add(namespace, key, value, ttl)

    async def take(self, namespace: str, key: str) -> JsonDict | None:
        self._forget(namespace, key)
        return await self.inner.take(namespace, key)

    async def delete(self, namespace: str, key: str) -> bool:
        self._forget(namespace, key)
        return await self.inner.delete(namespace, key)

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
