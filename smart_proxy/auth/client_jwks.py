"""Fetching and caching the public keys a confidential-asymmetric client publishes.

SMART App Launch 2.2, client-confidential-asymmetric.html, "Signature
Verification": the server fetches the client's registered JWKS URL over TLS with
``Accept: application/json``; it "SHALL NOT cache a JWKS for longer than the
client's cache-control header indicates" and SHOULD cache it as that header
allows; when a ``kid`` is unknown it may fetch again.  Here:

* only ``https`` URLs are fetched, with certificate validation (the TLS context is
  ``app[CLIENT_JWKS_TLS]``, the system trust store by default), without following
  redirects, within :data:`FETCH_TIMEOUT_S`, and at most :data:`MAX_JWKS_BYTES`;
* a response is kept ``max-age`` seconds (capped at :data:`MAX_TTL_S`), not at
  all with ``no-store``/``no-cache``/``max-age=0``, and :data:`DEFAULT_TTL_S` when
  the client says nothing;
* an unknown ``kid`` triggers one refetch, at most once per
  :data:`MIN_REFETCH_INTERVAL_S` per URL, so forged ``kid`` values cannot make the
  proxy hammer a client's server.

The cache lives in the process (``app[CLIENT_JWKS]``); its ``ClientSession``
(``app[CLIENT_JWKS_HTTP]``) is opened and closed by :func:`client_jwks_context`
(a ``cleanup_ctx``).  Only URLs from the registry are ever fetched, so the cache
holds at most one entry per registered app.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import orjson
from aiohttp import web
from yarl import URL

from ..keys import CLOCK

DEFAULT_TTL_S = 60.0
MAX_TTL_S = 3600.0
MIN_REFETCH_INTERVAL_S = 10.0
FETCH_TIMEOUT_S = 5.0
MAX_JWKS_BYTES = 64 * 1024
T = TypeVar("T")
_MAX_AGE = re.compile(r"max-age\s*=\s*\"?(\d{1,10})\"?", re.IGNORECASE)


class JwksFetchError(Exception):
    """The JWKS could not be fetched or is not a JWKS; the message is safe to log."""


def cache_lifetime(cache_control: str | None) -> float:
    """Seconds a JWKS may be kept under this ``Cache-Control`` value (RFC 9111 §5.2.2)."""
    if cache_control is None:
        return DEFAULT_TTL_S
    directives = {part.strip().split("=", 1)[0].lower() for part in cache_control.split(",")}
    if directives & {"no-store", "no-cache"}:
        return 0.0
    match = _MAX_AGE.search(cache_control)
    if match is None:
        return DEFAULT_TTL_S
    return min(float(match.group(1)), MAX_TTL_S)


@dataclass
class _Cached:
    jwks: dict[str, Any]
    expires_at: float


class ClientJwks:
    """JWKS documents by URL; ``clock`` is the application's clock (POSIX seconds)."""

    def __init__(self, session: aiohttp.ClientSession, clock: Callable[[], float]) -> None:
        self._session = session
        self._clock = clock
        self._cached: dict[str, _Cached] = {}
        self._last_refetch: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, uri: str) -> dict[str, Any]:
        """The JWKS at ``uri``, from the cache while its lifetime lasts."""
        jwks, _ = await self._current(uri)
        return jwks

    async def find(self, uri: str, pick: Callable[[dict[str, Any]], T | None]) -> T | None:
        """``pick`` applied to the JWKS; after a miss, once more on a fresh copy.

        The fresh copy is fetched only if the first one came from the cache and no
        miss-triggered refetch of ``uri`` happened in the last
        :data:`MIN_REFETCH_INTERVAL_S` seconds.
        """
        jwks, fetched = await self._current(uri)
        found = pick(jwks)
        if found is not None or fetched:
            return found
        async with self._locks.setdefault(uri, asyncio.Lock()):
            last = self._last_refetch.get(uri)
            if last is not None and self._clock() - last < MIN_REFETCH_INTERVAL_S:
                return None
            self._last_refetch[uri] = self._clock()
            return pick(await self._fetch(uri))

    async def _current(self, uri: str) -> tuple[dict[str, Any], bool]:
        async with self._locks.setdefault(uri, asyncio.Lock()):
            cached = self._cached.get(uri)
            if cached is not None and self._clock() < cached.expires_at:
                return cached.jwks, False
            return await self._fetch(uri), True

    async def _fetch(self, uri: str) -> dict[str, Any]:
        if URL(uri).scheme != "https":
            raise JwksFetchError("the JWKS URL is not https")
        now = self._clock()
        self._cached.pop(uri, None)
        try:
            async with self._session.get(
                uri, headers={"Accept": "application/json"}, allow_redirects=False
            ) as response:
                if response.status != 200:
                    raise JwksFetchError(f"the JWKS URL answered {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(16 * 1024):
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise JwksFetchError("the JWKS document is too large")
                lifetime = cache_lifetime(response.headers.get("Cache-Control"))
        except (TimeoutError, aiohttp.ClientError) as exc:
            reason = type(exc).__name__
            raise JwksFetchError(f"the JWKS URL could not be fetched ({reason})") from None
        try:
            jwks = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise JwksFetchError("the JWKS document is not JSON") from None
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise JwksFetchError("the JWKS document has no 'keys' list")
        if lifetime > 0:
            self._cached[uri] = _Cached(jwks, now + lifetime)
        return jwks


CLIENT_JWKS = web.AppKey("client_jwks", ClientJwks)
CLIENT_JWKS_HTTP = web.AppKey("client_jwks_http", aiohttp.ClientSession)
CLIENT_JWKS_TLS = web.AppKey("client_jwks_tls", ssl.SSLContext)


async def client_jwks_context(app: web.Application) -> AsyncIterator[None]:
    """``cleanup_ctx``: the HTTP client that fetches client JWKS documents."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=app[CLIENT_JWKS_TLS], limit=20),
        timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S),
    )
    app[CLIENT_JWKS_HTTP] = session
    app[CLIENT_JWKS] = ClientJwks(session, app[CLOCK])
    yield
    await session.close()
