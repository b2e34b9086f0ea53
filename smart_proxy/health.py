"""Liveness and readiness probes.

``/healthz`` answers while the process runs.  ``/readyz`` answers 200 only when
the state store and the upstream FHIR server both answer; otherwise 503 naming
which part failed (never a URL, credential or error text from a dependency).
"""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from .keys import STORE, UPSTREAM
from .outcome import NO_STORE

_PROBE_TIMEOUT_S = 2.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"}, headers=NO_STORE)


async def readyz(request: web.Request) -> web.Response:
    store_ok, upstream_ok = await asyncio.gather(_store_ok(request), _upstream_ok(request))
    checks = {
        "store": "ok" if store_ok else "unavailable",
        "upstream": "ok" if upstream_ok else "unavailable",
    }
    ready = store_ok and upstream_ok
    return web.json_response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
        headers=NO_STORE,
    )


async def _store_ok(request: web.Request) -> bool:
    try:
        return await asyncio.wait_for(request.app[STORE].ping(), _PROBE_TIMEOUT_S)
    except Exception:  # any failure means "not ready"; details stay in the store's own logs
        return False


async def _upstream_ok(request: web.Request) -> bool:
    upstream = request.app[UPSTREAM]
    timeout = aiohttp.ClientTimeout(total=_PROBE_TIMEOUT_S)
    headers = {"Accept": "application/fhir+json"}
    if upstream.authorization:
        headers["Authorization"] = upstream.authorization
    try:
        async with upstream.session.get(
            upstream.url_for("metadata"), headers=headers, timeout=timeout, allow_redirects=False
        ) as answer:
            return answer.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False
