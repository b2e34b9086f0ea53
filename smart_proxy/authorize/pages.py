"""HTML pages and redirects: one place sets the headers every person-facing answer needs.

Every page is rendered by Jinja2 with autoescaping on (``StrictUndefined``, so a
template typo fails loudly) and carries its own ``Content-Security-Policy``
before the global security-header hook runs (it only ``setdefault``s):

- ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` against clickjacking
  (RFC 9700 §4.16, regulatory.md SEC-02);
- ``style-src 'self'``: the one stylesheet is served by the proxy; no inline
  styles or scripts anywhere;
- ``img-src 'self' https: data:`` for an app's logo;
- no ``form-action``: Chrome applies it to the redirect that follows a form
  POST, which would block the 302 to the app's ``redirect_uri``;
- ``Cache-Control: no-store``: pages and redirects carry codes, CSRF tokens and PHI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from aiohttp import web

from ..keys import ENDPOINTS
from .keys import JINJA

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PAGE_HEADERS = {**NO_STORE, "Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY"}
STYLESHEET = "authorize.css"


def make_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("smart_proxy", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_url(request: web.Request, path: str, **query: str) -> str:
    """An absolute URL under ``public_url`` (which may carry a path prefix)."""
    url = request.app[ENDPOINTS].public_url
    for segment in path.strip("/").split("/"):
        url = url / segment
    return str(url.with_query(query) if query else url)


def render(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> web.Response:
    page = request.app[JINJA].get_template(template)
    text = page.render(css_url=page_url(request, f"/auth/static/{STYLESHEET}"), **context)
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        charset="utf-8",
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def message_page(
    request: web.Request,
    status: int,
    title: str,
    message: str,
    *,
    link: str | None = None,
    link_text: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A page that only explains something (errors, refusals, "signed out")."""
    return render(
        request,
        "message.html",
        status=status,
        headers=headers,
        title=title,
        message=message,
        link=link,
        link_text=link_text,
    )


def redirect(location: str, *, status: int = 302) -> web.Response:
    """A redirect that no cache keeps (it may carry a code or a transaction id)."""
    return web.Response(status=status, headers={"Location": location, **NO_STORE})


def retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, int(seconds + 0.999)))}


def wait_text(seconds: float) -> str:
    whole = max(1, int(seconds + 0.999))
    return f"{whole} second{'s' if whole != 1 else ''}"
