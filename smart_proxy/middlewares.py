"""Middlewares applied to every response: request id, security headers, errors.

Order (outermost first): ``request_id`` → ``errors``.  Security headers are
added by an ``on_response_prepare`` hook so that every answer, streamed or not,
refusal or not, carries them.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from .outcome import (
    FhirError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    outcome_response,
)
from .state import StoreUnavailable

log = logging.getLogger("smart_proxy.http")

REQUEST_ID = web.RequestKey("request_id", str)
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{8,64}")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def request_id_of(request: web.Request) -> str:
    return request.get(REQUEST_ID, "")


@web.middleware
async def request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    request[REQUEST_ID] = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)
    return await handler(request)


def security_headers(https: bool) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """An ``on_response_prepare`` hook: streamed answers get the headers too."""

    async def apply(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Request-Id"] = request_id_of(request) or "-"
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if https:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")

    return apply


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes a clean refusal; tracebacks go to the log only."""
    rid = request_id_of(request)
    try:
        return await handler(request)
    except FhirError as exc:
        return exc.response(rid)
    except StoreUnavailable:
        log.error("state store unavailable (request id %s)", rid)
        return ServiceUnavailable().response(rid)
    except web.HTTPNotFound:
        return NotFound().response(rid)
    except web.HTTPMethodNotAllowed:
        return MethodNotAllowed().response(rid)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return outcome_response(exc.status, "processing", exc.reason, None, rid)
    except Exception:
        log.exception("unhandled error (request id %s)", rid)
        return InternalError().response(rid)
