"""RedisStore when Redis is not there: every operation fails closed, no secrets leak."""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from smart_proxy.state import RedisStore, StoreUnavailable

SECRET = "s3cret"
NOBODY = f"redis://:{SECRET}@127.0.0.1:1/0"  # port 1: nothing listens, connect is refused

Op = Callable[[RedisStore], Awaitable[object]]
OPS: dict[str, Op] = {
    "get": lambda s: s.get("ns", "k"),
    "put": lambda s: s.put("ns", "k", {"v": 1}),
    "put-ttl": lambda s: s.put("ns", "k", {"v": 1}, ttl=5),
    "add": lambda s: s.add("ns", "k", {"v": 1}, ttl=5),
    "take": lambda s: s.take("ns", "k"),
    "delete": lambda s: s.delete("ns", "k"),
    "ttl": lambda s: s.ttl("ns", "k"),
    "incr": lambda s: s.incr("ns", "k"),
    "incr-ttl": lambda s: s.incr("ns", "k", 2, ttl=5),
    "set_add": lambda s: s.set_add("ns", "k", "a"),
    "set_add-ttl": lambda s: s.set_add("ns", "k", "a", ttl=5),
    "set_remove": lambda s: s.set_remove("ns", "k", "a"),
    "set_members": lambda s: s.set_members("ns", "k"),
}


def _all_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + repr(exc.__cause__)


@pytest.fixture
async def nobody() -> AsyncIterator[RedisStore]:
    store = RedisStore(NOBODY, timeout=0.5)
    yield store
    await store.close()


@pytest.mark.parametrize("op", OPS.values(), ids=OPS.keys())
async def test_every_operation_raises_store_unavailable(nobody: RedisStore, op: Op) -> None:
    with pytest.raises(StoreUnavailable) as info:
        await op(nobody)
    assert isinstance(info.value.__cause__, RedisConnectionError)
    assert str(info.value).startswith("redis at redis://***@127.0.0.1:1/0 unavailable: ")
    assert SECRET not in _all_text(info.value)


async def test_ping_is_false_not_an_error(nobody: RedisStore) -> None:
    assert await nobody.ping() is False


async def test_repr_hides_the_password(nobody: RedisStore) -> None:
    assert repr(nobody) == "RedisStore('redis://***@127.0.0.1:1/0', prefix='sp:')"


async def test_password_in_query_string_is_hidden_too() -> None:
    store = RedisStore(f"redis://127.0.0.1:1/0?password={SECRET}", timeout=0.5)
    with pytest.raises(StoreUnavailable) as info:
        await store.get("ns", "k")
    assert SECRET not in _all_text(info.value) + repr(store)
    await store.close()


async def test_a_server_that_never_answers_times_out_as_unavailable() -> None:
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, read nothing, answer nothing

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisStore(f"redis://:{SECRET}@127.0.0.1:{port}/0", timeout=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as info:
            await store.take("code", "c1")
        assert time.monotonic() - started < 2.0
        assert isinstance(info.value.__cause__, RedisTimeoutError)
        assert SECRET not in _all_text(info.value)
        assert await store.ping() is False
    finally:
        await store.close()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
