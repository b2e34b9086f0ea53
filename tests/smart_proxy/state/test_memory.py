"""MemoryStore rules beyond the shared contract: exact TTLs, capacity, key kinds."""

from __future__ import annotations

import pytest

from smart_proxy.state import MemoryStore, StoreUnavailable


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


async def test_ttl_is_exact_on_the_injected_clock() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    await store.put("ns", "v", {"a": 1}, ttl=10)
    await store.incr("ns", "c", ttl=10)
    await store.set_add("ns", "s", "m", ttl=10)
    clock.now += 9.75
    assert await store.ttl("ns", "v") == 0.25
    assert await store.get("ns", "v") == {"a": 1}
    assert await store.incr("ns", "c") == 2
    assert await store.set_members("ns", "s") == {"m"}
    clock.now += 0.25  # exactly the TTL: gone
    assert await store.get("ns", "v") is None
    assert await store.ttl("ns", "c") is None
    assert await store.incr("ns", "c") == 1
    assert await store.set_members("ns", "s") == set()


async def test_entries_without_ttl_never_expire() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    await store.put("ns", "v", {"a": 1})
    await store.incr("ns", "c")
    await store.set_add("ns", "s", "m")
    clock.now += 1e12
    assert await store.get("ns", "v") == {"a": 1}
    assert await store.incr("ns", "c") == 2
    assert await store.set_members("ns", "s") == {"m"}


async def test_full_store_refuses_new_keys_instead_of_evicting() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock, maxsize=2)
    await store.put("ns", "a", {}, ttl=5)
    await store.put("ns", "b", {})
    with pytest.raises(StoreUnavailable, match="full"):
        await store.put("ns", "c", {})
    with pytest.raises(StoreUnavailable, match="full"):
        await store.incr("ns", "c")
    await store.put("ns", "b", {"v": 2})  # replacing an existing key needs no room
    assert await store.get("ns", "a") == {}
    assert await store.get("ns", "b") == {"v": 2}
    assert await store.get("ns", "c") is None
    clock.now += 5  # "a" expires and frees its slot
    assert await store.add("ns", "c", {"v": 3}) is True
    assert await store.get("ns", "c") == {"v": 3}
    assert await store.get("ns", "b") == {"v": 2}


async def test_a_key_keeps_its_kind() -> None:
    store = MemoryStore()
    await store.put("ns", "v", {})
    await store.incr("ns", "c")
    await store.set_add("ns", "s", "m")
    with pytest.raises(TypeError, match="holds a value"):
        await store.incr("ns", "v")
    with pytest.raises(TypeError, match="holds a counter"):
        await store.get("ns", "c")
    with pytest.raises(TypeError, match="holds a set"):
        await store.take("ns", "s")
    assert await store.get("ns", "v") == {}


async def test_repr_shows_no_contents() -> None:
    store = MemoryStore(maxsize=7)
    await store.put("grant", "token-hash", {"secret": "do-not-print"})
    assert repr(store) == "MemoryStore(entries=1, maxsize=7)"
