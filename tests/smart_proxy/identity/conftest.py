"""Fixtures for the identity tests: a fake clock and a store on each backend.

``memory`` shares the fake clock, so its TTLs follow the test's time exactly.
``redis`` is the real server at 127.0.0.1:6379 under a random key prefix; its TTLs
run on Redis's own clock, so tests only rely on windows far longer than the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from smart_proxy.state import MemoryStore, StateStore
from tests.redis_store import isolated_redis_store

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
    async with isolated_redis_store("identity") as store:
        yield store
