"""Binary content over HTTP (http://hl7.org/fhir/R4/binary.html#rest).

A Binary posted or put with a non-FHIR ``Content-Type`` is its own content: the body is
read in chunks into one buffer (never decoded or base64-encoded on the way in), the
``Content-Type`` becomes ``Binary.contentType`` and ``X-Security-Context`` becomes
``Binary.securityContext``.  Read back without asking for FHIR JSON, it is streamed as-is
with its ``Content-Type`` and ``X-Security-Context``.
"""

from __future__ import annotations

from aiohttp import web

from .formats import FORM, is_fhir_json, media_type
from .outcome import FhirError
from .store import Payload, Version

CHUNK = 1 << 20
SECURITY_CONTEXT = "X-Security-Context"


def is_raw_upload(path: str, method: str, content_type: str | None) -> bool:
    """A POST ``Binary`` / PUT ``Binary/id`` whose body is not FHIR JSON."""
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts or parts[0] != "Binary" or method not in ("POST", "PUT"):
        return False
    if (method, len(parts)) not in (("POST", 1), ("PUT", 2)):
        return False
    return not is_fhir_json(content_type) and media_type(content_type) != FORM


async def read_body(request: web.Request, limit: int) -> Payload:
    """The request body in one buffer, read chunk by chunk; 413 beyond ``limit`` bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise FhirError(413, f"Request body of {declared} bytes exceeds {limit}")
    if declared is not None:
        buffer = bytearray(declared)
        view = memoryview(buffer)
        filled = 0
        async for chunk in request.content.iter_chunked(CHUNK):
            if filled + len(chunk) > declared:
                raise FhirError(400, "Request body is longer than its Content-Length")
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
        view.release()
        if filled != declared:
            raise FhirError(400, "Request body is shorter than its Content-Length")
        return buffer
    grown = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        grown += chunk
        if len(grown) > limit:
            raise FhirError(413, f"Request body exceeds {limit} bytes")
    return grown


async def send_raw(
    request: web.Request, version: Version, headers: dict[str, str]
) -> web.StreamResponse:
    """Stream a Binary's bytes with its own Content-Type."""
    resource = version.require()
    payload = version.payload if version.payload is not None else b""
    response = web.StreamResponse(status=200, headers=headers)
    response.headers["Content-Type"] = str(
        resource.get("contentType") or "application/octet-stream")
    context = resource.get("securityContext", {}).get("reference")
    if context:
        response.headers[SECURITY_CONTEXT] = str(context)
    response.content_length = len(payload)
    await response.prepare(request)
    if request.method != "HEAD":
        view = memoryview(payload)
        for start in range(0, len(payload), CHUNK):
            await response.write(view[start:start + CHUNK])
    await response.write_eof()
    return response
