"""What RedisStore leaves in Redis: key names, encodings, millisecond TTLs."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from smart_proxy.state import RedisStore

pytestmark = pytest.mark.redis
from tests.redis_store import REDIS_URL


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RedisStore, aioredis.Redis, str]]:
    prefix = f"sp-test:{secrets.token_hex(8)}:"
    store = RedisStore(REDIS_URL, prefix=prefix)
    raw = aioredis.from_url(REDIS_URL)
    try:
        yield store, raw, prefix
    finally:
        keys = [k async for k in raw.scan_iter(match=f"{prefix}*")]
        if keys:
            await raw.delete(*keys)
        await raw.aclose()
        await store.close()


async def test_keys_values_and_ttls_as_stored(pair: tuple[RedisStore, aioredis.Redis, str]) -> None:
    store, raw, prefix = pair
    await store.put("grant", "h:1", {"b": [1, "é"], "a": None}, ttl=1.5)
    assert await raw.get(f"{prefix}grant:h:1") == '{"b":[1,"é"],"a":null}'.encode()
    assert 1400 < await raw.pttl(f"{prefix}grant:h:1") <= 1500
    await store.incr("rl", "app", 3, ttl=0.25)
    assert await raw.get(f"{prefix}rl:app") == b"3"
    assert 200 < await raw.pttl(f"{prefix}rl:app") <= 250
    await store.set_add("idx", "p", "g1", "g2", ttl=7)
    assert await raw.smembers(f"{prefix}idx:p") == {b"g1", b"g2"}
    assert 6900 < await raw.pttl(f"{prefix}idx:p") <= 7000
    assert sorted([k async for k in raw.scan_iter(match=f"{prefix}*")]) == [
        f"{prefix}grant:h:1".encode(), f"{prefix}idx:p".encode(), f"{prefix}rl:app".encode()
    ]


async def test_sub_millisecond_ttl_rounds_up_not_to_zero(
    pair: tuple[RedisStore, aioredis.Redis, str],
) -> None:
    store, raw, prefix = pair
    await store.put("ns", "tiny", {}, ttl=0.0001)  # PX 1, not PX 0 ("invalid expire time")
    await store.set_add("ns", "s", "m", ttl=0.0001)
    assert await store.add("ns", "a", {}, ttl=0.0001) is True
    assert await store.incr("ns", "c", ttl=0.0001) == 1
    for name in ("tiny", "s", "a", "c"):
        assert await raw.pttl(f"{prefix}ns:{name}") in (-2, 0, 1)  # gone or about to go
