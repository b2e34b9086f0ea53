"""Bulk Data file requests through the proxy (Bulk Data Access IG v2, "File Request").

``GET {fhir_base}/_bulk/{job}/file/{n}`` with the app's token (the manifest says
``requiresAccessToken: true``; without a token it is 401, conformance 96).  The proxy
fetches the n-th file of the job's manifest and streams it as NDJSON, one line at a time,
each line checked against the caller's *current* grant before it leaves (conformance 97):
an output line must be a resource of a type the grant reads, matching its granular
filters (``scopes.postcheck``); an error file may hold OperationOutcomes only.  Lines that
fail are left out.  A line that is not JSON, or longer than the inspection limit, ends the
response by closing the connection: the file is then visibly incomplete, never unchecked.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from yarl import URL

from scopes import ScopeSet
from scopes.bulk_export import SYSTEM
from scopes.postcheck import build_check

from ..keys import CONFIG, UPSTREAM
from ..outcome import BadGateway, NotFound
from ..proxy.forward import check_credential_accepted
from .access import headers_for, own_job, upstream_error
from .jobs import ExportFile

log = logging.getLogger("smart_proxy.bulk")
NDJSON = "application/fhir+ndjson"
_CHUNK = 64 * 1024


class BadLine(Exception):
    """A line of an export file that cannot be checked."""


async def download(request: web.Request) -> web.StreamResponse:
    _, scopes, job = await own_job(request)
    index = request.match_info["index"]
    if not index.isdigit() or int(index) >= len(job.files):
        raise NotFound("No such export file.")
    file = job.files[int(index)]
    keep = line_check(scopes, file)
    limit = request.app[CONFIG].limits.max_inspected_body_bytes
    url = URL(file.url)
    async with request.app[UPSTREAM].request(
        "GET", url, headers_for(request, url, f"{NDJSON}, application/ndjson")
    ) as answer:
        check_credential_accepted(answer.status)
        if answer.status in (404, 410):
            raise NotFound("No such export file.")
        if answer.status >= 400:
            return upstream_error(answer.status, await answer.read())
        if answer.status != 200:
            raise BadGateway("The FHIR server did not send the export file.")
        response = web.StreamResponse(headers={"Content-Type": NDJSON, "Cache-Control": "no-store"})
        await response.prepare(request)
        try:
            async for line in lines(answer.content.iter_chunked(_CHUNK), limit):
                if keep(line):
                    await response.write(line + b"\n")
        except (BadLine, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("export file refused mid-stream (%s); closing the connection",
                        type(exc).__name__)
            if request.transport is not None:
                request.transport.close()
            return response
    await response.write_eof()
    return response


def line_check(scopes: ScopeSet, file: ExportFile) -> Callable[[bytes], bool]:
    """Whether one NDJSON line of ``file`` may be disclosed to a grant with ``scopes``."""
    check = build_check(scopes, None, SYSTEM, (), "r")

    def keep(line: bytes) -> bool:
        try:
            resource: Any = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise BadLine("not JSON") from None
        if not isinstance(resource, dict):
            raise BadLine("not a resource")
        if file.kind == "error":
            return resource.get("resourceType") == "OperationOutcome"
        return bool(check(resource))

    return keep


async def lines(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """The non-blank lines of an NDJSON stream (``\\n`` or ``\\r\\n``), each at most ``limit``."""
    pending = bytearray()
    async for chunk in chunks:
        pending += chunk
        *complete, rest = pending.split(b"\n")
        for line in complete:
            if line.strip():
                yield bytes(line.rstrip(b"\r"))
        pending = bytearray(rest)
        if len(pending) > limit:
            raise BadLine("line too long")
    if pending.strip():
        yield bytes(pending.rstrip(b"\r"))
