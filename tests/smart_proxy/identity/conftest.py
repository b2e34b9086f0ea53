"""Fixtures for the identity tests: a fake clock and a store on each backend.

``memory`` shares the fake clock, so its TTLs follow the test's time exactly.
``redis`` is the real server at 127.0.0.1:6379 under a random key prefix; its TTLs
run on Redis's own clock, so tests only rely on windows far longer than the test.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from smart_proxy.state import MemoryStore, RedisStore, StateStore

REDIS_URL = "redis://127.0.0.1:6379/0"
START = 1_750_000_020.0  # a POSIX time on a 30-second TOTP step boundary


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def id_store(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[StateStore]:
    if request.param == "memory":
        memory = MemoryStore(clock=clock)
        yield memory
        await memory.close()
        return
    prefix = f"sp-test-identity:{secrets.token_hex(8)}:"
    store = RedisStore(REDIS_URL, prefix=prefix)
    try:
        yield store
    finally:
        await store.close()
        raw = aioredis.from_url(REDIS_URL)
        keys = [key async for key in raw.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await raw.delete(*keys)
        await raw.aclose()
