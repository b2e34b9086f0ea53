"""Forward one FHIR call upstream and relay the answer.

Request: only allow-listed headers, the proxy's own credential, a capped body.
Response: JSON bodies are parsed (they are the ones the proxy must inspect and
whose server URLs it rewrites); anything else (Binary content, PDFs, images) is
streamed through in chunks without being held in memory.  Every FHIR answer is
marked ``Cache-Control: no-store``: it may hold PHI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from multidict import CIMultiDict

from ..outcome import NO_STORE, BadGateway, NotFound, PayloadTooLarge, outcome_response
from .headers import client_response_headers
from .rewrite import BaseRewriter
from .upstream import Upstream

log = logging.getLogger("smart_proxy.forward")

CHUNK = 64 * 1024
_BODYLESS_STATUS = frozenset({204, 304})
# The upstream refusing the proxy's own credential is a gateway fault, not the app's.
_CREDENTIAL_REFUSED = frozenset({401, 403, 407})
DocumentHook = Callable[[Any], Any]


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("application/json", "application/fhir+json") or media.endswith("+json")


async def read_body(request: web.Request, limit: int) -> bytes | None:
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS") and not request.body_exists:
        return None
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge()
    body = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge()
    return bytes(body)


async def relay(
    request: web.Request,
    upstream: Upstream,
    url: Any,
    headers: CIMultiDict[str],
    body: bytes | None,
    rewriter: BaseRewriter,
    inspect_limit: int,
    on_document: DocumentHook | None = None,
    require_json: bool = False,
    uniform_absence: bool = False,
    method: str | None = None,
) -> web.StreamResponse:
    """Send the call upstream and relay the answer.

    ``require_json``: the answer must be inspectable; anything else (e.g. raw Binary
    content) is refused as not found, since it cannot be checked against the grant.
    ``uniform_absence``: the upstream's 404 and 410 become the proxy's own 404, the same
    body a resource of another patient gets (an upstream's "not known" text or a 410
    "deleted" would tell "absent" from "not yours").
    ``method``: what the upstream is sent when it is not the app's own (a checked write
    re-addressed).  A ``HEAD`` whose answer must be inspected is sent upstream as ``GET`` and checked like
    one (its headers would otherwise tell a resource exists); only the headers are sent.
    """
    if method is None:
        method = "GET" if request.method == "HEAD" and require_json else request.method
    async with upstream.request(method, url, headers, body) as answer:
        check_credential_accepted(answer.status)
        if uniform_absence and answer.status in (404, 410):
            raise NotFound()
        out_headers = answer_headers(answer, rewriter)
        if method == "HEAD" or answer.status in _BODYLESS_STATUS:
            return web.Response(status=answer.status, headers=out_headers)
        if is_json(answer.headers.get("Content-Type", "")):
            document = await read_json(answer, inspect_limit)
            document = rewriter.document(document)
            if on_document is not None:
                document = on_document(document)
            if request.method == "HEAD":
                return web.Response(status=answer.status, headers=out_headers)
            return web.Response(status=answer.status, body=orjson.dumps(document), headers=out_headers)
        if require_json:
            if answer.status >= 400:
                # An upstream error in a form the proxy cannot read: its status only.
                return outcome_response(answer.status if answer.status < 500 else 502,
                                        "processing", "The FHIR server refused the request.")
            if await answer.content.read(1):
                raise NotFound()  # a body the proxy cannot check never leaves
            return web.Response(status=answer.status, headers=out_headers)
        return await stream_answer(request, answer, out_headers)


def check_credential_accepted(status: int) -> None:
    """The upstream refusing the proxy's own credential is a gateway fault (502), never
    relayed as the app's 401/403."""
    if status in _CREDENTIAL_REFUSED:
        log.error("upstream refused the proxy's credential (HTTP %s)", status)
        raise BadGateway("The FHIR server refused the proxy's credential.")


def answer_headers(answer: aiohttp.ClientResponse, rewriter: BaseRewriter) -> CIMultiDict[str]:
    headers = client_response_headers(answer.headers)
    for name in ("Location", "Content-Location"):
        if name in headers:
            public = rewriter.url(headers[name])
            if public is None:
                del headers[name]
            else:
                headers[name] = public
    headers.update(NO_STORE)
    return headers


async def read_json(answer: aiohttp.ClientResponse, limit: int) -> Any:
    if answer.content_length is not None and answer.content_length > limit:
        raise BadGateway("The FHIR server's answer is larger than the proxy inspects.")
    data = bytearray()
    async for chunk in answer.content.iter_chunked(CHUNK):
        data += chunk
        if len(data) > limit:
            raise BadGateway("The FHIR server's answer is larger than the proxy inspects.")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BadGateway("The FHIR server sent malformed JSON.") from None


async def stream_answer(
    request: web.Request, answer: aiohttp.ClientResponse, headers: CIMultiDict[str]
) -> web.StreamResponse:
    response = web.StreamResponse(status=answer.status, headers=headers)
    if answer.content_length is not None:
        response.content_length = answer.content_length
    await response.prepare(request)
    try:
        async for chunk in answer.content.iter_chunked(CHUNK):
            await response.write(chunk)
    except (aiohttp.ClientError, TimeoutError) as exc:
        # Headers are gone; the only honest signal left is a broken connection.
        log.warning("upstream failed mid-stream (%s); aborting response", type(exc).__name__)
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response
