"""The FHIR route: ``{public_url}/fhir/...``, one readable request path.

1. validate the path (no dot segments, no encoded separators),
2. ``metadata`` is public: the upstream CapabilityStatement plus SMART security,
3. everything else needs a live grant of a still-approved app under a still-active
   consent (401 otherwise) whose scopes allow the interaction (403/400 otherwise),
4. writes: the body rule and the stored read before the call (``writes``); batch and
   transaction Bundles entry by entry (``bundles``),
5. forward with the header allow-list and the proxy's own credential,
6. apply the decision: narrowed query, empty searchsets, post-checks on every resource
   of the answer, signed paging cursors; rewrite server URLs in JSON, stream the rest.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from scopes.decision import Decision
from scopes.interaction import Interaction
from scopes.request import FhirRequest

from .binary_read import read_binary
from .bundles import handle_bundle
from .enforce import answer_hooks, empty_searchset, upstream_query
from .gate import admit, admit_page, live_grant
from .keys import CONFIG, ENDPOINTS, REWRITER, UPSTREAM
from .middlewares import request_id_of
from .outcome import FHIR_JSON, BadRequest, MethodNotAllowed, NotAcceptable
from .proxy.capability import with_smart_security
from .proxy.forward import read_body, relay
from .proxy.headers import upstream_request_headers
from .writes import Outgoing, checked_write

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
    grant = await live_grant(request)
    config = app[CONFIG]
    body = await read_body(request, config.limits.max_request_body_bytes)
    if body and request.method in ("GET", "HEAD", "DELETE"):
        raise BadRequest(f"A {request.method} request carries no body.")
    if tail == "" and request.method == "POST":
        return await handle_bundle(request, grant, body, upstream_headers(request))
    fhir_request, decision = await admit(request, tail, body)
    if decision.mutations.empty_result:
        return empty_searchset()
    headers = upstream_headers(request)
    if decision.mutations.if_none_exist is not None:
        headers["If-None-Exist"] = decision.mutations.if_none_exist
    query = upstream_query(decision)
    if fhir_request.method == "POST" and tail.endswith("_search"):
        body, query = query.encode(), ""
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    original = {
        "method": fhir_request.method,
        "segments": [unquote(part) for part in tail.split("/")] if tail else [],
        "params": [list(pair) for pair in fhir_request.params],
    }
    writes = fhir_request.interaction is not None and fhir_request.interaction.is_write
    method = None
    if writes:
        outgoing = await checked_write(request, fhir_request, decision,
                                       Outgoing(tail, query, headers, body))
        tail, query, headers, body = outgoing.tail, outgoing.query, outgoing.headers, outgoing.body
        method = outgoing.method
    upstream = app[UPSTREAM]
    confined = decision.post_checks.confine_to_patient is not None
    if confined and not writes:
        _unconditional(headers)
    if _confined_binary_read(fhir_request, decision):
        return await read_binary(request, grant, decision, str(fhir_request.resource_id),
                                 upstream.url_for(tail, query), headers)
    if confined:
        # Every answer is checked before it leaves, so it is JSON, and only JSON is offered.
        if not accepts_json(request.headers.get("Accept")):
            raise NotAcceptable()
        headers["Accept"] = FHIR_JSON
    return await relay(
        request,
        upstream,
        upstream.url_for(tail, query),
        headers,
        body,
        app[REWRITER],
        config.limits.max_inspected_body_bytes,
        on_document=answer_hooks(request, grant, decision, original),
        require_json=confined,
        uniform_absence=confined,
        method=method,
    )


def accepts_json(accept: str | None) -> bool:
    """Whether an ``Accept`` header admits FHIR JSON (absent, ``*/*`` or a JSON type)."""
    if not accept:
        return True
    for part in accept.split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in ("*/*", "application/*") or media.endswith("json"):
            return True
    return False


def _unconditional(headers: CIMultiDict[str]) -> None:
    """Under patient confinement a read must not be answered 304 by the upstream before the
    check: a 304 with its ETag would tell "this resource exists" of another patient's."""
    headers.popall("If-None-Match", None)
    headers.popall("If-Modified-Since", None)


def _confined_binary_read(fhir_request: FhirRequest, decision: Decision) -> bool:
    """A Binary read under a patient grant: judged by what speaks for it (``binary_read``)."""
    return fhir_request.resource_type == "Binary" and fhir_request.interaction in (
        Interaction.READ, Interaction.VREAD) and decision.post_checks.confine_to_patient is not None


async def _page(request: web.Request) -> web.StreamResponse:
    """Follow one of our paging cursors: judged again, fetched below the upstream base only."""
    app = request.app
    grant, _, decision, cursor = await admit_page(request)
    path, _, query = cursor.upstream_tail.partition("?")
    upstream = app[UPSTREAM]
    headers = upstream_headers(request)
    confined = decision.post_checks.confine_to_patient is not None
    if confined:
        _unconditional(headers)
        headers["Accept"] = FHIR_JSON
    return await relay(
        request,
        upstream,
        upstream.url_for(path, query),
        headers,
        None,
        app[REWRITER],
        app[CONFIG].limits.max_inspected_body_bytes,
        on_document=answer_hooks(request, grant, decision, cursor.request),
        require_json=confined,
        uniform_absence=confined,
    )


async def _capability(request: web.Request) -> web.StreamResponse:
    app = request.app
    upstream = app[UPSTREAM]
    endpoints = app[ENDPOINTS]
    return await relay(
        request,
        upstream,
        upstream.url_for("metadata"),
        upstream_headers(request),
        None,
        app[REWRITER],
        app[CONFIG].limits.max_inspected_body_bytes,
        on_document=lambda doc: with_smart_security(doc, endpoints),
    )


def upstream_headers(request: web.Request) -> CIMultiDict[str]:
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
