"""The FHIR route: ``{public_url}/fhir/...``, one readable request path.

1. validate the path (no dot segments, no encoded separators),
2. ``metadata`` is public: the upstream CapabilityStatement plus SMART security,
3. everything else needs a live grant of a still-approved app under a still-active
   consent (401 otherwise) whose scopes allow the interaction (403/400 otherwise),
4. forward with the header allow-list and the proxy's own credential,
5. relay: rewrite server URLs in JSON, stream everything else.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from .gate import admit, admit_page
from .keys import CLOCK, CONFIG, ENDPOINTS, PAGING, REWRITER, UPSTREAM
from .middlewares import request_id_of
from .outcome import BadRequest, MethodNotAllowed
from .proxy.capability import with_smart_security
from .paging import replace_links
from .proxy.forward import DocumentHook, read_body, relay
from .proxy.headers import upstream_request_headers

FHIR_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})
# FHIR ids are [A-Za-z0-9\-\.]{1,64}; types, _history, _search and $operations fit too.
_SEGMENT = re.compile(r"[A-Za-z0-9\-._$]{1,64}")


def fhir_tail(request: web.Request) -> str:
    """The raw path below ``/fhir`` with every segment checked."""
    raw = request.raw_path.split("?", 1)[0]
    tail = raw[len("/fhir"):].strip("/")
    if not tail:
        return ""
    for segment in tail.split("/"):
        if not _SEGMENT.fullmatch(segment) or set(segment) == {"."}:
            raise BadRequest("The request path is not a valid FHIR path.")
    return tail


async def handle_fhir(request: web.Request) -> web.StreamResponse:
    app = request.app
    if request.method not in FHIR_METHODS:
        raise MethodNotAllowed()
    tail = fhir_tail(request)
    if tail == "metadata" and request.method in ("GET", "HEAD"):
        return await _capability(request)
    if tail == "_page" and request.method == "GET":
        return await _page(request)
    grant, fhir_request, _ = await admit(request, tail)
    config = app[CONFIG]
    body = await read_body(request, config.limits.max_request_body_bytes)
    upstream = app[UPSTREAM]
    original = {
        "method": fhir_request.method,
        "segments": [unquote(part) for part in tail.split("/")] if tail else [],
        "params": [list(pair) for pair in fhir_request.params],
    }
    return await relay(
        request,
        upstream,
        upstream.url_for(tail, request.rel_url.raw_query_string),
        _headers(request),
        body,
        app[REWRITER],
        config.limits.max_inspected_body_bytes,
        on_document=_paging_links(request, grant.grant_id, original),
    )


async def _page(request: web.Request) -> web.StreamResponse:
    """Follow one of our paging cursors: judged again, fetched below the upstream base only."""
    app = request.app
    grant, _, cursor = await admit_page(request)
    path, _, query = cursor.upstream_tail.partition("?")
    upstream = app[UPSTREAM]
    return await relay(
        request,
        upstream,
        upstream.url_for(path, query),
        _headers(request),
        None,
        app[REWRITER],
        app[CONFIG].limits.max_inspected_body_bytes,
        on_document=_paging_links(request, grant.grant_id, cursor.request),
    )


def _paging_links(request: web.Request, grant_id: str, original: dict[str, object]) -> DocumentHook:
    app = request.app

    def hook(document: Any) -> Any:
        if isinstance(document, dict) and document.get("resourceType") == "Bundle":
            replace_links(
                document,
                served_base=app[ENDPOINTS].fhir_base,
                codec=app[PAGING],
                grant_id=grant_id,
                request=original,
                now=app[CLOCK](),
            )
        return document

    return hook


async def _capability(request: web.Request) -> web.StreamResponse:
    app = request.app
    upstream = app[UPSTREAM]
    endpoints = app[ENDPOINTS]
    return await relay(
        request,
        upstream,
        upstream.url_for("metadata"),
        _headers(request),
        None,
        app[REWRITER],
        app[CONFIG].limits.max_inspected_body_bytes,
        on_document=lambda doc: with_smart_security(doc, endpoints),
    )


def _headers(request: web.Request) -> CIMultiDict[str]:
    config = request.app[CONFIG]
    upstream = request.app[UPSTREAM]
    return upstream_request_headers(
        request.headers,
        authorization=upstream.authorization,
        client_ip=request.remote,
        public_host=_host_header(config.public_url),
        public_scheme=config.public_url.scheme,
        request_id=request_id_of(request),
    )


def _host_header(url: URL) -> str:
    host = url.raw_host or ""
    return f"{host}:{url.explicit_port}" if url.explicit_port else host
