"""A real Redis store for tests, under a random key prefix that is wiped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis

from smart_proxy.state import RedisStore

REDIS_URL = "redis://127.0.0.1:6379/0"


@asynccontextmanager
async def isolated_redis_store(label: str) -> AsyncIterator[RedisStore]:
    prefix = f"sp-test-{label}:{secrets.token_hex(8)}:"
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
