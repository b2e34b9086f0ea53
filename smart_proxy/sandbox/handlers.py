"""The aiohttp side: request → :class:`FhirCall` → :func:`execute` → response.

Absolute URLs in answers (``Location``, ``Bundle.link``, ``fullUrl``) are built from the
request's scheme and host plus the configured base path.  Every error leaves as an
OperationOutcome with its status (http.html#Status-Codes); an unexpected exception is
logged and answered 500 without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from .binary import SECURITY_CONTEXT, is_raw_upload, read_body, send_raw
from .dispatch import execute
from .formats import FHIR_JSON, FORM, accepts_json, media_type, wants_fhir_json
from .interaction import FhirCall, FhirResult, RawBinary
from .outcome import FhirError, operation_outcome
from .store import SandboxStore

log = logging.getLogger("smart_proxy.sandbox")

STORE_KEY: web.AppKey[SandboxStore] = web.AppKey("sandbox_store", SandboxStore)
BASE_PATH_KEY: web.AppKey[str] = web.AppKey("sandbox_base_path", str)
#: Largest accepted request body (a Binary upload of at least 200 MB must fit).
MAX_BODY = 512 * 1024 * 1024

_CALL_HEADERS = ("if-match", "if-none-match", "if-none-exist", "if-modified-since", "prefer",
                 "content-type")
_ALLOWED_BODY_TYPES = {FHIR_JSON, "application/json", "application/json+fhir",
                       "application/json-patch+json", FORM, ""}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def fhir_response(status: int, body: object | None, headers: dict[str, str] | None = None,
                  *, pretty: bool = False) -> web.Response:
    if body is None:
        return web.Response(status=status, headers=headers)
    option = orjson.OPT_INDENT_2 if pretty else 0
    return web.Response(status=status, body=orjson.dumps(body, option=option), headers=headers,
                        content_type=FHIR_JSON, charset="utf-8")


@web.middleware
async def outcome_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every failure as an OperationOutcome."""
    try:
        return await handler(request)
    except FhirError as err:
        return fhir_response(err.status, err.outcome(), err.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = "not-found" if exc.status == 404 else "processing"
        outcome = operation_outcome(exc.reason, severity="error", code=code)
        return fhir_response(exc.status, outcome)
    except Exception:
        log.exception("sandbox: unexpected error on %s %s", request.method, request.path)
        return fhir_response(500, operation_outcome(
            "Internal server error", severity="fatal", code="exception"))


async def fhir_endpoint(request: web.Request) -> web.StreamResponse:
    base = f"{request.scheme}://{request.host}{request.app[BASE_PATH_KEY]}"
    path = request.match_info.get("tail", "")
    params = [(key, value) for key, value in request.query.items()]
    format_param = request.query.get("_format")
    binary = path.startswith("Binary/")  # any Accept: the raw content (binary.html#rest)
    if not binary and not accepts_json(request.headers.get("Accept"), format_param):
        raise FhirError(406, "This server produces application/fhir+json only")
    headers = {name: request.headers[name] for name in _CALL_HEADERS if name in request.headers}
    body: object | None = None
    raw: RawBinary | None = None
    content_type = request.headers.get("Content-Type")
    if request.method in ("POST", "PUT", "PATCH"):
        if is_raw_upload(path, request.method, content_type):
            data = await read_body(request, MAX_BODY)
            raw = RawBinary(content_type or "application/octet-stream", data,
                            request.headers.get(SECURITY_CONTEXT))
        elif media_type(content_type) == FORM:
            form = await request.post()
            params += [(key, str(value)) for key, value in form.items()]
        else:
            body = await _json_body(request, content_type)
    call = FhirCall(request.method, path, base, tuple(params), headers, body, raw)
    result = execute(request.app[STORE_KEY], call)
    return await _respond(request, call, result)


async def _json_body(request: web.Request, content_type: str | None) -> object | None:
    data = await request.read()
    if not data.strip():
        return None
    if media_type(content_type) not in _ALLOWED_BODY_TYPES:
        raise FhirError(415, f"Unsupported Content-Type {media_type(content_type)!r}; "
                             f"send {FHIR_JSON}")
    try:
        body: object = orjson.loads(data)
        return body
    except orjson.JSONDecodeError as exc:
        raise FhirError(400, f"The request body is not valid JSON: {exc}",
                        code="structure") from None


async def _respond(request: web.Request, call: FhirCall, result: FhirResult
                   ) -> web.StreamResponse:
    headers = dict(result.headers)
    version = result.version
    if result.location:
        headers["Location"] = f"{call.base}/{result.location}"
    elif version is not None and not version.deleted and result.status == 200:
        headers["Content-Location"] = f"{call.base}/{version.key}/_history/{version.version_id}"
    if result.binary and result.version is not None and result.status == 200 and \
            not wants_fhir_json(request.headers.get("Accept"), request.query.get("_format")):
        return await send_raw(request, result.version, headers)
    pretty = request.query.get("_pretty") == "true"
    body = None if result.status in (204, 304) else result.body()
    return fhir_response(result.status, body, headers, pretty=pretty)


