"""Shared :class:`~smart_proxy.state.base.StateStore` on Redis, for many replicas.

Keys are ``{prefix}{namespace}:{key}``; values are orjson-encoded JSON objects;
TTLs live in Redis with millisecond precision (rounded up, so nothing expires
early).  Atomicity comes from Redis itself, one command (or script) per rule:

- ``put``: ``SET [PX]`` -- a plain SET also clears an earlier TTL;
- ``add``: ``SET NX [PX]``;
- ``take``: ``GETDEL`` -- of concurrent callers exactly one receives the value;
- ``incr``: a Lua script (``EXISTS`` + ``INCRBY`` + ``PEXPIRE`` only if created);
- ``set_add`` with a TTL: ``SADD`` + ``PEXPIRE`` in one ``MULTI``/``EXEC``.

Every Redis failure (refused, timed out, auth, protocol) surfaces as
:class:`StoreUnavailable`, chained to the original, with the URL's credentials
scrubbed from the message.  The client retries once on a *connection* error
only (a stale pooled socket after a Redis restart); every such retry fails
closed: a repeated ``GETDEL`` or ``SET NX`` reports "already used".
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from smart_proxy.state.base import JsonDict, StoreUnavailable, check_namespace, check_ttl

_INCR = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"""

_FAILURES = (RedisError, OSError, TimeoutError)


def _ms(ttl: float | None) -> int | None:
    ttl = check_ttl(ttl)
    return None if ttl is None else max(1, math.ceil(ttl * 1000))


class RedisStore:
    """State in the Redis at ``url`` (``redis://``, ``rediss://`` or ``unix://``).

    ``timeout`` bounds connecting, each reply, and waiting for one of the
    ``max_connections`` pooled connections.  Nothing connects until first use.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "sp:",
        timeout: float = 2.0,
        max_connections: int = 50,
    ) -> None:
        parts = urlsplit(url)
        secrets = {parts.password or "", *parse_qs(parts.query).get("password", [])}
        self._secrets = {s for v in secrets for s in (v, unquote(v)) if s}
        _userinfo, at, hostport = parts.netloc.rpartition("@")
        self._where = f"{parts.scheme}://{'***@' if at else ''}{hostport}{parts.path}"
        self._prefix = prefix
        self._pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), 1, (RedisConnectionError,)),
        )
        self._redis = Redis(connection_pool=self._pool)
        self._incr = self._redis.register_script(_INCR)

    def __repr__(self) -> str:
        return f"RedisStore({self._where!r}, prefix={self._prefix!r})"

    def _key(self, namespace: str, key: str) -> str:
        return f"{self._prefix}{check_namespace(namespace)}:{key}"

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except _FAILURES as exc:
            text = f"{type(exc).__name__}: {exc}"
            for secret in self._secrets:
                text = text.replace(secret, "***")
            raise StoreUnavailable(f"redis at {self._where} unavailable: {text}") from exc

    @staticmethod
    def _decode(raw: bytes | None) -> JsonDict | None:
        if raw is None:
            return None
        value = orjson.loads(raw)
        if not isinstance(value, dict):
            raise TypeError("key holds a counter, not a value")
        return value

    async def get(self, namespace: str, key: str) -> JsonDict | None:
        with self._guard():
            raw = await self._redis.get(self._key(namespace, key))
        return self._decode(raw)

    async def put(
        self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None
    ) -> None:
        data, px = orjson.dumps(dict(value)), _ms(ttl)
        with self._guard():
            await self._redis.set(self._key(namespace, key), data, px=px)

    async def add(
        self, namespace: str, key: str, value: Mapping[str, Any], ttl: float | None = None
    ) -> bool:
        data, px = orjson.dumps(dict(value)), _ms(ttl)
        with self._guard():
            return bool(await self._redis.set(self._key(namespace, key), data, px=px, nx=True))

    async def take(self, namespace: str, key: str) -> JsonDict | None:
        with self._guard():
            raw = await self._redis.getdel(self._key(namespace, key))
        return self._decode(raw)

    async def delete(self, namespace: str, key: str) -> bool:
        with self._guard():
            return bool(await self._redis.delete(self._key(namespace, key)))

    async def ttl(self, namespace: str, key: str) -> float | None:
        with self._guard():
            ms = await self._redis.pttl(self._key(namespace, key))
        return None if ms < 0 else ms / 1000  # -2: absent, -1: no expiry

    async def incr(
        self, namespace: str, key: str, amount: int = 1, ttl: float | None = None
    ) -> int:
        args = [int(amount), _ms(ttl) or 0]
        with self._guard():
            return int(await self._incr(keys=[self._key(namespace, key)], args=args))

    async def set_add(
        self, namespace: str, key: str, *members: str, ttl: float | None = None
    ) -> None:
        px, name = _ms(ttl), self._key(namespace, key)
        if not members:
            return
        with self._guard():
            if px is None:
                await self._redis.sadd(name, *members)
                return
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.sadd(name, *members)
                pipe.pexpire(name, px)
                await pipe.execute()

    async def set_remove(self, namespace: str, key: str, *members: str) -> None:
        name = self._key(namespace, key)
        if members:
            with self._guard():
                await self._redis.srem(name, *members)

    async def set_members(self, namespace: str, key: str) -> set[str]:
        with self._guard():
            raw = await self._redis.smembers(self._key(namespace, key))
        return {m.decode() for m in raw}

    async def ping(self) -> bool:
        try:
            with self._guard():
                return bool(await self._redis.ping())
        except StoreUnavailable:
            return False

    async def close(self) -> None:
        with self._guard():
            await self._redis.aclose()
            await self._pool.aclose()
