"""The one-second read cache: stale at most its TTL, never stale after a local write."""

from __future__ import annotations

import asyncio

import pytest

from smart_proxy.state import MemoryStore
from smart_proxy.state.read_cache import ReadCachedStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inner() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def cached(inner: MemoryStore, clock: Clock) -> ReadCachedStore:
    return ReadCachedStore(inner, ["grant"], clock=clock)


async def test_other_replica_change_seen_after_ttl(cached: ReadCachedStore, inner: MemoryStore, clock: Clock) -> None:
    await inner.put("grant", "g", {"v": 1})
    assert await cached.get("grant", "g") == {"v": 1}
    await inner.delete("grant", "g")  # another replica revokes
    clock.now += 0.5
    assert await cached.get("grant", "g") == {"v": 1}
    clock.now += 0.6
    assert await cached.get("grant", "g") is None


@pytest.mark.parametrize("write", ["put", "delete", "take", "add"])
async def test_local_write_invalidates_at_once(cached: ReadCachedStore, inner: MemoryStore, write: str) -> None:
    await inner.put("grant", "g", {"v": 1})
    assert await cached.get("grant", "g") == {"v": 1}
    if write == "put":
        await cached.put("grant", "g", {"v": 2})
        assert await cached.get("grant", "g") == {"v": 2}
    elif write == "add":
        await inner.delete("grant", "g")
        assert await cached.add("grant", "g", {"v": 3})
        assert await cached.get("grant", "g") == {"v": 3}
    else:
        await getattr(cached, write)("grant", "g")
        assert await cached.get("grant", "g") is None


async def test_absent_keys_are_not_cached(cached: ReadCachedStore, inner: MemoryStore) -> None:
    assert await cached.get("grant", "new") is None
    await inner.put("grant", "new", {"v": 1})
    assert await cached.get("grant", "new") == {"v": 1}


async def test_uncached_namespaces_always_read_through(cached: ReadCachedStore, inner: MemoryStore) -> None:
    await inner.put("code", "c", {"v": 1})
    assert await cached.get("code", "c") == {"v": 1}
    await inner.delete("code", "c")
    assert await cached.get("code", "c") is None


async def test_cached_values_are_copies(cached: ReadCachedStore, inner: MemoryStore) -> None:
    await inner.put("grant", "g", {"scopes": ["a"]})
    first = await cached.get("grant", "g")
    assert first is not None
    first["scopes"].append("b")
    assert await cached.get("grant", "g") == {"scopes": ["a"]}


@pytest.mark.parametrize("ttl", [0, -1, 1.5, 60])
def test_staleness_bound_is_enforced(inner: MemoryStore, ttl: float) -> None:
    with pytest.raises(ValueError):
        ReadCachedStore(inner, ["grant"], ttl=ttl)


class SlowReads(MemoryStore):
    """A store whose reads answer late (a round trip to Redis), after a gate opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate: asyncio.Event | None = None

    async def get(self, namespace: str, key: str) -> dict[str, object] | None:
        value = await super().get(namespace, key)
        if self.gate is not None:
            await self.gate.wait()
        return value


@pytest.mark.parametrize("write", ["delete", "put", "take"])
async def test_a_read_racing_a_local_write_is_not_cached(write: str) -> None:
    inner = SlowReads()
    cached = ReadCachedStore(inner, ["grant"])
    await inner.put("grant", "g1", {"live": True})
    inner.gate = asyncio.Event()
    in_flight = asyncio.create_task(cached.get("grant", "g1"))
    await asyncio.sleep(0)
    if write == "put":
        await cached.put("grant", "g1", {"live": False})
    else:
        await getattr(cached, write)("grant", "g1")
    inner.gate.set()
    assert await in_flight == {"live": True}  # the read that started first saw the old value
    inner.gate = None
    assert await cached.get("grant", "g1") == (None if write != "put" else {"live": False})
