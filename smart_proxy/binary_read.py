"""Reading a Binary under a patient grant: released only when what speaks for it is readable.

``scopes.binary_context`` holds the rule (peer-gateways (c) 22).  Here the proxy gathers
what the rule needs before a byte of content leaves:

1. the Binary is requested upstream; its ``securityContext`` comes from the JSON body, or
   from the ``X-Security-Context`` header of a raw read (the body is then not read yet);
2. the patient's DocumentReferences and DiagnosticReports (searches narrowed to the
   patient, every page) are scanned for attachments pointing at this Binary;
3. if none points at it, the ``securityContext`` resource is read;
4. each of those passes the grant's post-check (type scope, compartment, granular
   filters, withheld labels) or the Binary is 404, like an absent one.

A JSON Binary also needs its own ``meta.security`` free of withheld labels.  Raw content is
then streamed (large files never held in memory).
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from scopes.binary_context import (
    POINTER_TYPES,
    binary_readable,
    context_key,
    has_context,
    points_to,
)
from scopes.decision import Decision
from scopes.labels import withheld

from .enforce import grant_check
from .gate import WITHHELD
from .grants import Grant
from .keys import CONFIG, REWRITER, UPSTREAM
from .outcome import FHIR_JSON, BadGateway, NotFound
from .proxy.forward import (
    answer_headers,
    check_credential_accepted,
    is_json,
    read_json,
    stream_answer,
)

log = logging.getLogger("smart_proxy.binary")
#: Pages of the patient's documents scanned per Binary read; beyond this the read is refused.
MAX_POINTER_PAGES = 20


async def read_binary(
    request: web.Request, grant: Grant, decision: Decision, binary_id: str, url: URL,
    headers: CIMultiDict[str],
) -> web.StreamResponse:
    app = request.app
    withheld_labels = request.get(WITHHELD, ())
    check = grant_check(request, grant, decision, "r")
    patient = decision.post_checks.confine_to_patient
    # Raw content hides meta.security: when the consent withholds labels, the Binary is
    # read as JSON and its labels checked, whatever form the app asked for.
    inspect = bool(withheld_labels)
    asked = CIMultiDict(headers)
    if inspect:
        asked["Accept"] = FHIR_JSON
    async with app[UPSTREAM].request("GET", url, asked) as answer:
        _check_status(answer.status)
        out_headers = answer_headers(answer, app[REWRITER])
        document = None
        if is_json(answer.headers.get("Content-Type", "")):
            document = await read_json(answer, app[CONFIG].limits.max_inspected_body_bytes)
            if not _is_binary(document, binary_id) or withheld(document, withheld_labels):
                raise NotFound()
        elif inspect:
            raise BadGateway("The FHIR server did not send the Binary as FHIR JSON.")
        header = answer.headers.get("X-Security-Context")
        context = context_key(document, header)
        pointing = await _pointing(request, headers, str(patient), binary_id)
        resource = None if context is None else await _fetch(request, headers, context)
        if not binary_readable(pointing, has_context(document, header), resource,
                               lambda found: _own_record(found, patient) or check(found)):
            raise NotFound()
        if request.method == "HEAD":
            return web.Response(status=200, headers=out_headers)
        if document is not None and not _wants_json(request):
            return _raw(document, out_headers)
        if document is not None:
            body = orjson.dumps(app[REWRITER].document(document))
            return web.Response(status=200, body=body, headers=out_headers)
        return await stream_answer(request, answer, out_headers)


def _wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "") + " " + request.query.get("_format", "")
    return "json" in accept.lower()


def _raw(document: dict[str, Any], headers: CIMultiDict[str]) -> web.Response:
    """The Binary's own bytes from its JSON form (binary.html#rest: content as itself)."""
    try:
        data = base64.b64decode(document.get("data") or "", validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise BadGateway("The FHIR server sent a Binary whose data is not base64.") from None
    headers = CIMultiDict(headers)
    headers["Content-Type"] = str(document.get("contentType") or "application/octet-stream")
    context = document.get("securityContext")
    if isinstance(context, dict) and isinstance(context.get("reference"), str):
        headers["X-Security-Context"] = context["reference"]
    headers.popall("Content-Length", None)
    return web.Response(status=200, body=data, headers=headers)


def _own_record(resource: dict[str, Any], patient: str | None) -> bool:
    """A context naming the patient in context: the Binary is the patient's own, whatever
    scope the grant holds on ``Patient`` itself (US Core notes use the Patient as context)."""
    return resource.get("resourceType") == "Patient" and resource.get("id") == patient


def _check_status(status: int) -> None:
    check_credential_accepted(status)
    if status in (404, 410):
        raise NotFound()
    if status != 200:
        raise BadGateway(f"The FHIR server answered the Binary read with HTTP {status}.")


def _is_binary(document: Any, binary_id: str) -> bool:
    return isinstance(document, dict) and document.get("resourceType") == "Binary" \
        and document.get("id") == binary_id




async def _pointing(
    request: web.Request, headers: CIMultiDict[str], patient: str, binary_id: str
) -> list[dict[str, Any]]:
    """The patient's resources whose attachments point at the Binary."""
    upstream = request.app[UPSTREAM]
    found: list[dict[str, Any]] = []
    for resource_type in POINTER_TYPES:
        url: URL | None = upstream.url_for(resource_type).with_query(
            {"patient": f"Patient/{patient}", "_count": "100"})
        for _ in range(MAX_POINTER_PAGES):
            if url is None:
                break
            bundle = await _json(request, headers, url)
            if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
                raise BadGateway("The FHIR server sent no searchset for the Binary check.")
            for entry in bundle.get("entry") or []:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if isinstance(resource, dict) and points_to(resource, binary_id):
                    found.append(resource)
            url = _next(request, bundle)
        else:
            log.warning("Binary check: more than %d pages of %s; refused", MAX_POINTER_PAGES,
                        resource_type)
            raise NotFound()
    return found


def _next(request: web.Request, bundle: dict[str, Any]) -> URL | None:
    """The upstream's own next link, followed only on the upstream's origin."""
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and \
                isinstance(link.get("url"), str):
            url = URL(link["url"])
            if url.is_absolute() and url.origin() == request.app[UPSTREAM].base.origin():
                return url
            raise BadGateway("The FHIR server's next link leaves its origin.")
    return None


async def _fetch(request: web.Request, headers: CIMultiDict[str],
                 key: tuple[str, str]) -> dict[str, Any] | None:
    resource = await _json(request, headers, request.app[UPSTREAM].url_for(f"{key[0]}/{key[1]}"))
    if isinstance(resource, dict) and (resource.get("resourceType"), resource.get("id")) == key:
        return resource
    return None


async def _json(request: web.Request, headers: CIMultiDict[str], url: URL) -> Any:
    asked = CIMultiDict(headers)
    asked["Accept"] = "application/fhir+json"
    asked.popall("If-None-Match", None)
    asked.popall("If-Modified-Since", None)
    try:
        async with request.app[UPSTREAM].request("GET", url, asked) as answer:
            check_credential_accepted(answer.status)
            if answer.status != 200 or not is_json(answer.headers.get("Content-Type", "")):
                return None
            return await read_json(answer, request.app[CONFIG].limits.max_inspected_body_bytes)
    except aiohttp.ClientError:
        raise BadGateway() from None
