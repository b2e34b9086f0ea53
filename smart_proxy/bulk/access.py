"""Who may touch an export, and how the proxy talks to the upstream about it.

Every bulk call needs a live grant with ``system/`` read scopes (SMART Backend Services);
polling, cancelling and downloading also need the job to be the caller's own (404
otherwise, as for a job that never existed).  The proxy sends its own credential, and only
to URLs on the upstream's origin: a status or file URL elsewhere is fetched without it.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from scopes import ScopeSet
from scopes.bulk_export import SYSTEM

from ..fhir_route import upstream_headers
from ..gate import live_grant
from ..grants import Grant
from ..keys import BULK_JOBS, UPSTREAM
from ..outcome import Forbidden, NotFound, outcome_response
from .jobs import ExportJob


async def system_grant(request: web.Request) -> tuple[Grant, ScopeSet]:
    grant = await live_grant(request)
    scopes = grant.scope_set
    if not scopes.resource_types("r", SYSTEM):
        raise Forbidden("Bulk export needs system/ scopes.")
    return grant, scopes


async def own_job(request: web.Request) -> tuple[Grant, ScopeSet, ExportJob]:
    grant, scopes = await system_grant(request)
    job = await request.app[BULK_JOBS].owned(request.match_info["job"], grant.client_id)
    if job is None:
        raise NotFound("No such export job.")
    return grant, scopes, job


def on_upstream_origin(request: web.Request, url: URL) -> bool:
    base = request.app[UPSTREAM].base
    return url.is_absolute() and url.origin() == base.origin()


def headers_for(request: web.Request, url: URL, accept: str) -> CIMultiDict[str]:
    """The proxy's headers for ``url``: its credential only on the upstream's origin."""
    headers = upstream_headers(request)
    for name in ("Accept", "Prefer", "Content-Type", "If-Match", "If-None-Match"):
        headers.popall(name, None)
    headers["Accept"] = accept
    if not on_upstream_origin(request, url):
        headers.popall("Authorization", None)
    return headers


def upstream_error(status: int, body: bytes) -> web.Response:
    """An upstream 4xx/5xx about an export, as a FHIR error the app can read.

    The upstream's own OperationOutcome is passed on (its status kept, 5xx as 502); any
    other body is replaced by a generic one.
    """
    shown = status if status < 500 else 502
    document: Any = None
    try:
        document = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        pass
    if isinstance(document, dict) and document.get("resourceType") == "OperationOutcome":
        return web.Response(status=shown, body=orjson.dumps(document),
                            content_type="application/fhir+json",
                            headers={"Cache-Control": "no-store"})
    return outcome_response(shown, "exception" if status >= 500 else "processing",
                            f"The FHIR server refused the export request (HTTP {status}).")
