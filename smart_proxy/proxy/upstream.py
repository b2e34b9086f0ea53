"""The connection to the upstream FHIR server.

One pooled ``ClientSession`` per process, the proxy's own credential, connect and
total timeouts.  Callers get the raw ``ClientResponse`` inside a context manager
and decide whether to stream it or inspect it.  Transport failures become FHIR
errors: unreachable → 502, too slow → 504.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from ..config import UpstreamConfig
from ..outcome import BadGateway, GatewayTimeout

log = logging.getLogger("smart_proxy.upstream")


def open_session(config: UpstreamConfig) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=config.max_connections, ttl_dns_cache=60)
    timeout = aiohttp.ClientTimeout(total=config.timeout_s, connect=config.connect_timeout_s)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        auto_decompress=True,
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=("User-Agent",),
    )


class Upstream:
    def __init__(self, config: UpstreamConfig, session: aiohttp.ClientSession) -> None:
        self.config = config
        self.base = config.url
        self.session = session
        self.authorization = config.auth.authorization_header()

    def url_for(self, raw_tail: str, raw_query: str = "") -> URL:
        """The upstream URL for a path below the FHIR base, encoding kept as given."""
        path = self.base.raw_path.rstrip("/") + ("/" + raw_tail if raw_tail else "")
        text = str(self.base.with_path(path, encoded=True))
        if raw_query:
            text += "?" + raw_query
        return URL(text, encoded=True)

    @asynccontextmanager
    async def request(
        self,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: bytes | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        try:
            async with self.session.request(
                method, url, headers=headers, data=body, allow_redirects=False
            ) as response:
                yield response
        except (TimeoutError, asyncio.TimeoutError):
            log.warning("upstream timeout: %s %s", method, url.path)
            raise GatewayTimeout() from None
        except aiohttp.ClientError as exc:
            log.warning("upstream unreachable: %s %s (%s)", method, url.path, type(exc).__name__)
            raise BadGateway() from None
