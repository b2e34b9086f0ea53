"""CORS for browser apps: the token endpoint and the FHIR API.

An origin is trusted when it is the origin of a redirect URI registered by an app
that is approved *now* (SMART 2.2 §"Token endpoint" for public clients: the
response carries ``Access-Control-Allow-Origin`` for the client's origin).
Discovery documents are public and answer any origin (their own handlers).
``Access-Control-Allow-Credentials`` is never sent: apps authenticate with bearer
tokens, never with cookies, so no origin may make credentialed requests.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from app_registry import Registry

from .keys import CLOCK, REGISTRY

ALLOW_HEADERS = "Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-None-Exist, X-Request-Id"
EXPOSE_HEADERS = "Location, Content-Location, ETag, Last-Modified, X-Request-Id, WWW-Authenticate"
ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
_PUBLIC_PATHS = ("/fhir/.well-known/", "/fhir/metadata")


def origin_of(uri: str) -> str | None:
    try:
        url = URL(uri)
    except ValueError:
        return None
    if url.scheme not in ("http", "https") or not url.host:
        return None
    return str(url.origin())


def trusted_origins(registry: Registry, now: datetime) -> frozenset[str]:
    return frozenset(
        origin
        for app in registry.approved(now)
        for uri in app.redirect_uris
        if (origin := origin_of(uri)) is not None
    )


def applies_to(path: str) -> bool:
    if path.startswith(_PUBLIC_PATHS):
        return False
    return path == "/fhir" or path.startswith("/fhir/") or path in ("/auth/token", "/auth/revoke")


def _allowed(request: web.Request, origin: str) -> bool:
    now = datetime.fromtimestamp(request.app[CLOCK](), UTC)
    return origin in trusted_origins(request.app[REGISTRY], now)


@web.middleware
async def cors_preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer CORS preflights for the API paths before authentication runs."""
    origin = request.headers.get("Origin")
    is_preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
    if origin is not None and is_preflight and request.path == "/fhir/metadata":
        return web.Response(status=204, headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, OPTIONS",
            "Access-Control-Allow-Headers": "Accept, Authorization",
            "Access-Control-Max-Age": "600",
        })
    if origin is None or not is_preflight or not applies_to(request.path):
        return await handler(request)
    if not _allowed(request, origin):
        return web.Response(status=403, headers={"Vary": "Origin"})
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: runs for streamed answers too, just before headers leave."""
    origin = request.headers.get("Origin")
    if origin is None or "Access-Control-Allow-Origin" in response.headers:
        return
    if request.path == "/fhir/metadata":
        response.headers["Access-Control-Allow-Origin"] = "*"
        return
    if not applies_to(request.path):
        return
    response.headers.add("Vary", "Origin")
    if _allowed(request, origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
