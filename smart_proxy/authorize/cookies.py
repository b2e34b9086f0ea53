"""The two cookies of the person-facing pages, and how they are set.

- The **browser cookie** binds a browser to its authorization transactions (and
  to an OIDC login it started): a transaction id in a URL is not enough to act,
  the request must also carry the cookie whose SHA-256 the transaction holds.
- The **session cookie** names a login session for the "connected apps" pages;
  it is separate, so signing in to manage apps never authorizes an app.

Both are random 256-bit values, ``HttpOnly`` and ``SameSite=Lax`` (sent on the
top-level GET back from an OIDC provider, not on cross-site POSTs).  On https
they are ``Secure`` and named ``__Host-...``; RFC 6265bis §4.1.3.2 makes such a
cookie host-only and requires ``Path=/`` (a browser drops a ``__Host-`` cookie
with any other path), so the path is ``/`` there.  On plain http (local
development only) the browser cookie is limited to ``/auth``.
"""

from __future__ import annotations

import re
import secrets

from aiohttp import web

from ..grants import token_digest
from ..keys import CONFIG

_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
BROWSER, SESSION = "smart-proxy-browser", "smart-proxy-session"


def _name(request: web.Request, base: str) -> str:
    return f"__Host-{base}" if request.app[CONFIG].is_https else base


def read(request: web.Request, base: str) -> str | None:
    """The cookie's value if present and well formed."""
    value = request.cookies.get(_name(request, base), "")
    return value if _VALUE.fullmatch(value) else None


def digest_of(request: web.Request, base: str) -> str | None:
    value = read(request, base)
    return None if value is None else token_digest(value)


def new_value() -> str:
    return secrets.token_urlsafe(32)


def attach(
    request: web.Request,
    response: web.StreamResponse,
    base: str,
    value: str,
    *,
    max_age: int | None = None,
) -> None:
    https = request.app[CONFIG].is_https
    path = "/" if https or base == SESSION else "/auth"
    response.set_cookie(
        _name(request, base),
        value,
        path=path,
        secure=https,
        httponly=True,
        samesite="Lax",
        max_age=max_age,
    )


def clear(request: web.Request, response: web.StreamResponse, base: str) -> None:
    attach(request, response, base, "", max_age=0)


def browser_binding(request: web.Request) -> tuple[str, str]:
    """``(cookie value, its digest)``: the browser's existing cookie or a fresh one."""
    value = read(request, BROWSER) or new_value()
    return value, token_digest(value)
