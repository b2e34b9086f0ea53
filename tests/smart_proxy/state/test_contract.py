"""One contract for every StateStore backend: the same tests, unchanged, on each.

``memory`` runs on a fake clock (time moves only when a test says so, and TTLs
are exact); ``redis`` runs on the real server at 127.0.0.1:6379 under a random
key prefix, with real (short) sleeps, and removes its keys afterwards.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from smart_proxy.state import MemoryStore, StateStore
from tests.redis_store import isolated_redis_store

SHORT = 0.2  # seconds: a TTL that tests let run out
REDIS_MARGIN = 0.05  # Redis expires on its own clock, with millisecond resolution


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    store: StateStore
    elapse: Callable[[float], Awaitable[None]]
    slack: float  # how far ttl() may have dropped between a write and the next read


async def _memory() -> AsyncIterator[Backend]:
    clock = FakeClock()

    async def elapse(seconds: float) -> None:
        clock.now += seconds

    store = MemoryStore(clock=clock)
    yield Backend(store, elapse, slack=0.0)
    await store.close()


async def _redis() -> AsyncIterator[Backend]:
    async def elapse(seconds: float) -> None:
        await asyncio.sleep(seconds + REDIS_MARGIN)

    async with isolated_redis_store("contract") as store:
        yield Backend(store, elapse, slack=0.5)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    make = _memory if request.param == "memory" else _redis
    async for b in make():
        yield b


@pytest.fixture
def store(backend: Backend) -> StateStore:
    return backend.store


VALUE = {"sub": "p-1", "scopes": ["patient/*.rs"], "n": 3, "x": 1.5, "ok": True, "none": None,
         "nested": {"ü": ["ñ", {"deep": []}]}}


async def test_satisfies_protocol_and_pings(store: StateStore) -> None:
    assert isinstance(store, StateStore)
    assert await store.ping() is True


async def test_absent_key_reads_as_nothing(store: StateStore) -> None:
    assert await store.get("ns", "missing") is None
    assert await store.take("ns", "missing") is None
    assert await store.ttl("ns", "missing") is None
    assert await store.delete("ns", "missing") is False
    assert await store.set_members("ns", "missing") == set()


async def test_put_then_get_round_trips_json(store: StateStore) -> None:
    await store.put("grant", "h1", VALUE)
    assert await store.get("grant", "h1") == VALUE
    assert await store.ttl("grant", "h1") is None


async def test_put_replaces_value_and_ttl(backend: Backend) -> None:
    store = backend.store
    await store.put("ns", "k", {"v": 1}, ttl=100)
    await store.put("ns", "k", {"v": 2})
    assert await store.get("ns", "k") == {"v": 2}
    assert await store.ttl("ns", "k") is None
    await store.put("ns", "k", {"v": 3}, ttl=50)
    remaining = await store.ttl("ns", "k")
    assert remaining is not None and 50 - backend.slack <= remaining <= 50
    assert await store.get("ns", "k") == {"v": 3}


async def test_ttl_reports_seconds_left(backend: Backend) -> None:
    await backend.store.put("ns", "k", {}, ttl=30.5)
    remaining = await backend.store.ttl("ns", "k")
    assert remaining is not None and 30.5 - backend.slack <= remaining <= 30.5


async def test_put_entry_expires(backend: Backend) -> None:
    store = backend.store
    await store.put("ns", "k", {"v": 1}, ttl=SHORT)
    assert await store.get("ns", "k") == {"v": 1}
    await backend.elapse(SHORT)
    assert await store.get("ns", "k") is None
    assert await store.ttl("ns", "k") is None
    assert await store.take("ns", "k") is None
    assert await store.delete("ns", "k") is False
    assert await store.add("ns", "k", {"v": 2}) is True
    assert await store.get("ns", "k") == {"v": 2}


async def test_values_are_copies(store: StateStore) -> None:
    original = {"list": [1], "map": {"a": 1}}
    await store.put("ns", "k", original)
    original["list"].append(2)
    original["map"]["b"] = 2
    got = await store.get("ns", "k")
    assert got == {"list": [1], "map": {"a": 1}}
    assert got is not None
    got["list"].append(3)
    assert await store.get("ns", "k") == {"list": [1], "map": {"a": 1}}
    assert await store.take("ns", "k") == {"list": [1], "map": {"a": 1}}


async def test_non_json_value_is_refused_and_not_stored(store: StateStore) -> None:
    with pytest.raises(TypeError):
        await store.put("ns", "k", {"when": object()})
    with pytest.raises(TypeError):
        await store.add("ns", "k", {"ids": {1, 2}})
    assert await store.get("ns", "k") is None


@pytest.mark.parametrize("ttl", [0, -1, math.nan, math.inf])
async def test_non_positive_or_infinite_ttl_is_refused(store: StateStore, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await store.put("ns", "k", {}, ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.add("ns", "k", {}, ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.incr("ns", "c", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.set_add("ns", "s", "m", ttl=ttl)
    assert await store.get("ns", "k") is None
    assert await store.get("ns", "c") is None
    assert await store.set_members("ns", "s") == set()


@pytest.mark.parametrize("namespace", ["", "a:b"])
async def test_bad_namespace_is_refused(store: StateStore, namespace: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        await store.put(namespace, "k", {})
    with pytest.raises(ValueError, match="namespace"):
        await store.get(namespace, "k")


async def test_add_stores_only_once(store: StateStore) -> None:
    assert await store.add("jti", "j1", {"n": 1}, ttl=60) is True
    assert await store.add("jti", "j1", {"n": 2}, ttl=60) is False
    assert await store.get("jti", "j1") == {"n": 1}
    assert await store.delete("jti", "j1") is True
    assert await store.add("jti", "j1", {"n": 3}) is True
    assert await store.get("jti", "j1") == {"n": 3}


async def _open_50_connections(store: StateStore) -> None:
    """A cold Redis pool connects one caller at a time, which would serialise a race."""
    await asyncio.gather(*(store.get("warm", "up") for _ in range(50)))


async def test_add_concurrent_callers_one_winner(store: StateStore) -> None:
    await _open_50_connections(store)
    results = await asyncio.gather(*(store.add("jti", "race", {"who": i}) for i in range(50)))
    assert results.count(True) == 1
    assert await store.get("jti", "race") == {"who": results.index(True)}


async def test_take_is_single_use(store: StateStore) -> None:
    await store.put("code", "c1", VALUE, ttl=60)
    assert await store.take("code", "c1") == VALUE
    assert await store.take("code", "c1") is None
    assert await store.get("code", "c1") is None


async def test_take_concurrent_callers_exactly_one_winner(store: StateStore) -> None:
    await store.put("code", "c1", {"grant": "g"}, ttl=60)
    await _open_50_connections(store)
    results = await asyncio.gather(*(store.take("code", "c1") for _ in range(50)))
    assert [r for r in results if r is not None] == [{"grant": "g"}]
    assert results.count(None) == 49


async def test_take_of_expired_entry_is_none(backend: Backend) -> None:
    await backend.store.put("code", "c1", {"grant": "g"}, ttl=SHORT)
    await backend.elapse(SHORT)
    assert await backend.store.take("code", "c1") is None


async def test_delete_reports_whether_something_was_removed(store: StateStore) -> None:
    await store.put("ns", "k", {})
    assert await store.delete("ns", "k") is True
    assert await store.delete("ns", "k") is False
    assert await store.get("ns", "k") is None


async def test_incr_counts(store: StateStore) -> None:
    assert await store.incr("rl", "app") == 1
    assert await store.incr("rl", "app") == 2
    assert await store.incr("rl", "app", 5) == 7
    assert await store.incr("rl", "app", -3) == 4
    assert await store.incr("rl", "other", 10) == 10
    assert await store.ttl("rl", "app") is None


async def test_incr_concurrent_callers_exact_total(store: StateStore) -> None:
    await _open_50_connections(store)
    results = await asyncio.gather(*(store.incr("rl", "app", ttl=60) for _ in range(50)))
    assert sorted(results) == list(range(1, 51))
    assert await store.incr("rl", "app", 0) == 50


async def test_incr_ttl_applies_only_on_creation(backend: Backend) -> None:
    store = backend.store
    await store.incr("rl", "win", ttl=10)
    assert await store.incr("rl", "win", ttl=1000) == 2
    remaining = await store.ttl("rl", "win")
    assert remaining is not None and 10 - backend.slack <= remaining <= 10
    await store.incr("rl", "forever")
    await store.incr("rl", "forever", ttl=10)
    assert await store.ttl("rl", "forever") is None


async def test_incr_counter_expires_and_restarts_with_new_ttl(backend: Backend) -> None:
    store = backend.store
    assert await store.incr("rl", "win", 3, ttl=SHORT) == 3
    await backend.elapse(SHORT)
    assert await store.ttl("rl", "win") is None
    assert await store.incr("rl", "win", ttl=100) == 1
    remaining = await store.ttl("rl", "win")
    assert remaining is not None and 100 - backend.slack <= remaining <= 100


async def test_sets_add_remove_members(store: StateStore) -> None:
    await store.set_add("idx", "patient-1", "g1", "g2")
    await store.set_add("idx", "patient-1", "g2", "g3")
    assert await store.set_members("idx", "patient-1") == {"g1", "g2", "g3"}
    await store.set_remove("idx", "patient-1", "g1", "absent")
    assert await store.set_members("idx", "patient-1") == {"g2", "g3"}
    await store.set_add("idx", "patient-1")  # no members: nothing to do
    await store.set_remove("idx", "patient-1")
    assert await store.set_members("idx", "patient-1") == {"g2", "g3"}
    assert await store.ttl("idx", "patient-1") is None
    await store.set_remove("idx", "patient-1", "g2", "g3")
    assert await store.set_members("idx", "patient-1") == set()
    assert await store.delete("idx", "patient-1") is False  # an emptied set is gone
    await store.set_remove("idx", "never", "x")
    assert await store.set_members("idx", "never") == set()


async def test_set_members_is_a_copy(store: StateStore) -> None:
    await store.set_add("idx", "k", "a")
    members = await store.set_members("idx", "k")
    members.add("b")
    assert await store.set_members("idx", "k") == {"a"}


async def test_set_ttl_is_reapplied_when_given_and_kept_otherwise(backend: Backend) -> None:
    store = backend.store
    await store.set_add("idx", "k", "a", ttl=100)
    await store.set_add("idx", "k", "b", ttl=1000)
    remaining = await store.ttl("idx", "k")
    assert remaining is not None and 1000 - backend.slack <= remaining <= 1000
    await store.set_add("idx", "k", "c")
    remaining = await store.ttl("idx", "k")
    assert remaining is not None and 1000 - backend.slack <= remaining <= 1000
    assert await store.set_members("idx", "k") == {"a", "b", "c"}


async def test_set_expires(backend: Backend) -> None:
    store = backend.store
    await store.set_add("idx", "k", "a", "b", ttl=SHORT)
    assert await store.set_members("idx", "k") == {"a", "b"}
    await backend.elapse(SHORT)
    assert await store.set_members("idx", "k") == set()
    await store.set_add("idx", "k", "c")
    assert await store.set_members("idx", "k") == {"c"}
    assert await store.ttl("idx", "k") is None


async def test_namespaces_are_isolated(store: StateStore) -> None:
    await store.put("grant", "k", {"from": "grant"})
    await store.put("code", "k", {"from": "code"})
    assert await store.get("grant", "k") == {"from": "grant"}
    assert await store.take("code", "k") == {"from": "code"}
    assert await store.get("grant", "k") == {"from": "grant"}
    assert await store.add("session", "k", {}) is True
    assert await store.incr("rl", "k", 4) == 4
    assert await store.incr("rl2", "k") == 1
    await store.set_add("idx", "k", "a")
    assert await store.set_members("idx2", "k") == set()
    assert await store.delete("code", "k") is False
    assert await store.get("grant", "k") == {"from": "grant"}


async def test_keys_may_contain_any_text(store: StateStore) -> None:
    await store.put("ns", "a:b c/ü*?", {"v": 1})
    await store.put("ns", "a", {"v": 2})
    assert await store.get("ns", "a:b c/ü*?") == {"v": 1}
    assert await store.get("ns", "a") == {"v": 2}
    assert await store.get("ns", "a:b") is None
