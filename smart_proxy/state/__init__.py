"""State stores: one interface (:class:`StateStore`), a memory and a Redis backend.

Pick one with :func:`open_store` from the config's ``state`` value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from smart_proxy.state.base import JsonDict, StateStore, StoreUnavailable
from smart_proxy.state.memory import MemoryStore
from smart_proxy.state.redis import RedisStore

__all__ = ["JsonDict", "MemoryStore", "RedisStore", "StateStore", "StoreUnavailable", "open_store"]

_REDIS_SCHEMES = ("redis", "rediss", "unix")


def open_store(spec: str, *, clock: Callable[[], float] = time.monotonic) -> StateStore:
    """The store named by ``spec``: ``"memory"`` or a ``redis://``, ``rediss://``
    or ``unix://`` URL.

    ``clock`` drives the memory store's TTLs; Redis keeps its own time.  Nothing
    connects here: an unreachable Redis shows up on first use (or ``ping``).
    Anything else raises ``ValueError``; the message never repeats the spec,
    which may carry a password.
    """
    if spec == "memory":
        return MemoryStore(clock=clock)
    scheme = urlsplit(spec).scheme.lower() if "://" in spec else ""
    if scheme in _REDIS_SCHEMES:
        return RedisStore(spec)
    shown = f"a {scheme}:// URL" if scheme else "a value that is not a URL"
    raise ValueError(
        f"state store must be 'memory' or a redis://, rediss:// or unix:// URL; got {shown}"
    )
