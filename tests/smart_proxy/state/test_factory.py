"""open_store: the config's ``state`` value to a store."""

from __future__ import annotations

import pytest

from smart_proxy.state import MemoryStore, RedisStore, StateStore, open_store


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_memory_spec_gives_a_memory_store_on_the_given_clock() -> None:
    clock = FakeClock()
    store = open_store("memory", clock=clock)
    assert type(store) is MemoryStore
    await store.put("ns", "k", {}, ttl=10)
    clock.now = 4
    assert await store.ttl("ns", "k") == 6
    clock.now = 10
    assert await store.get("ns", "k") is None


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "RedisStore('redis://127.0.0.1:6379/0', prefix='sp:')"),
        ("rediss://user:pw@cache.example:6380/2",
         "RedisStore('rediss://***@cache.example:6380/2', prefix='sp:')"),
        ("unix:///run/redis/redis.sock?db=1",
         "RedisStore('unix:///run/redis/redis.sock', prefix='sp:')"),
        ("REDIS://:pw@localhost", "RedisStore('redis://***@localhost', prefix='sp:')"),
    ],
)
async def test_redis_urls_give_a_redis_store_without_connecting(spec: str, shown: str) -> None:
    store = open_store(spec)
    assert type(store) is RedisStore
    assert isinstance(store, StateStore)
    assert repr(store) == shown
    await store.close()


@pytest.mark.redis
async def test_redis_store_from_the_factory_answers() -> None:
    store = open_store("redis://127.0.0.1:6379/0")
    assert await store.ping() is True
    await store.close()


@pytest.mark.parametrize(
    ("spec", "described"),
    [
        ("", "a value that is not a URL"),
        ("Memory", "a value that is not a URL"),
        ("redis", "a value that is not a URL"),
        ("/run/redis.sock", "a value that is not a URL"),
        ("memcached://cache:11211", "a memcached:// URL"),
        ("http://admin:pw-hunter2@redis.internal:6379", "a http:// URL"),
    ],
)
def test_anything_else_is_refused_without_echoing_the_spec(spec: str, described: str) -> None:
    with pytest.raises(ValueError) as info:
        open_store(spec)
    assert str(info.value) == (
        "state store must be 'memory' or a redis://, rediss:// or unix:// URL; got " + described
    )
