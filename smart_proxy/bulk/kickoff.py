"""Bulk Data kick-off through the proxy (Bulk Data Access IG v2, "Bulk Data Kick-off Request").

``GET`` (query) or ``POST`` (``Parameters`` body) on ``[base]/$export``,
``[base]/Patient/$export`` or ``[base]/Group/[id]/$export`` with ``Prefer: respond-async``.
``scopes.bulk_export.decide_export`` judges it against the grant and the client's
registered ``bulk_export``; the upstream gets the decided parameters only.  Its ``202`` and
status URL become a job of this client, and the app gets ``202`` with the proxy's own
status URL in ``Content-Location`` (conformance 95).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from yarl import URL

from scopes.bulk_export import ExportLevel, ExportPolicy, decide_export
from scopes.decision import Params

from ..keys import BULK_JOBS, CONFIG, ENDPOINTS, REGISTRY, UPSTREAM
from ..outcome import BadGateway, BadRequest, Forbidden, NotFound
from ..proxy.forward import check_credential_accepted, read_body
from .access import (
    headers_for,
    on_upstream_origin,
    system_grant,
    upstream_error,
)

FHIR_JSON = "application/fhir+json"


async def kick_off(request: web.Request) -> web.StreamResponse:
    if "respond-async" not in request.headers.get("Prefer", "").lower():
        raise BadRequest("A bulk export needs the header Prefer: respond-async.")
    if not _accepts_fhir_json(request.headers.get("Accept")):
        raise BadRequest("A bulk export kick-off accepts only Accept: application/fhir+json.")
    grant, scopes = await system_grant(request)
    params = tuple(request.query.items())
    if request.method == "POST":
        body = await read_body(request, request.app[CONFIG].limits.max_request_body_bytes)
        params += parameters_of(body or b"")
    registered = request.app[REGISTRY].get(grant.client_id)
    export = registered.bulk_export if registered is not None else None
    policy = ExportPolicy(export.groups, export.all_patients) if export else ExportPolicy()
    level, group_id = _level(request)
    decision = decide_export(scopes, level, group_id, params, policy)
    if not decision.allowed:
        error = {400: BadRequest, 404: NotFound}.get(decision.status, Forbidden)
        raise error(decision.message)
    upstream = request.app[UPSTREAM]
    tail = request.path.removeprefix("/fhir/")
    decided = decision.mutations.params
    url, body = upstream.url_for(tail), None
    if request.method == "GET":
        url = url.with_query(list(decided))
    headers = headers_for(request, url, FHIR_JSON)
    headers["Prefer"] = "respond-async"
    if request.method == "POST":
        body = orjson.dumps(parameters_resource(decided))
        headers["Content-Type"] = FHIR_JSON
    async with upstream.request(request.method, url, headers, body) as answer:
        check_credential_accepted(answer.status)
        if answer.status >= 400:
            return upstream_error(answer.status, await answer.read())
        location = answer.headers.get("Content-Location", "")
        if answer.status != 202 or not location:
            raise BadGateway("The FHIR server did not start an asynchronous export.")
    status_url = upstream.base.join(URL(location)) if not URL(location).is_absolute() else URL(location)
    if not on_upstream_origin(request, status_url):
        raise BadGateway("The FHIR server named a status URL outside its own origin.")
    public = request.app[ENDPOINTS].fhir_base
    asked = URL(f"{public}/{tail}").with_query(list(params) if request.method == "GET" else [])
    job = await request.app[BULK_JOBS].start(grant.client_id, str(status_url), str(asked))
    status = public / "_bulk" / job.job_id
    return web.Response(status=202, headers={"Content-Location": str(status),
                                             "Cache-Control": "no-store"})


def _accepts_fhir_json(accept: str | None) -> bool:
    """Bulk Data v2: only ``application/fhir+json`` is supported; absent means that."""
    if not accept:
        return True
    media = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    return bool(media & {FHIR_JSON, "application/json", "*/*"})


def _level(request: web.Request) -> tuple[ExportLevel, str | None]:
    group_id = request.match_info.get("group_id")
    if group_id is not None:
        return ExportLevel.GROUP, group_id
    if request.path.rstrip("/").endswith("/Patient/$export"):
        return ExportLevel.PATIENT, None
    return ExportLevel.SYSTEM, None


_TYPED = {"_since": "valueInstant", "_until": "valueInstant", "includeAssociatedData": "valueCode"}


def parameters_resource(params: Params) -> dict[str, Any]:
    """The ``Parameters`` body forwarded for a ``POST`` kick-off (Bulk Data v2 table)."""
    parameter = [{"name": name, _TYPED.get(name, "valueString"): value} for name, value in params]
    return {"resourceType": "Parameters", "parameter": parameter}


def parameters_of(body: bytes) -> Params:
    """The kick-off parameters of a ``POST`` body (a ``Parameters`` resource)."""
    if not body.strip():
        return ()
    try:
        resource: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("The kick-off body is not JSON.") from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Parameters":
        raise BadRequest("A POST kick-off carries a Parameters resource.")
    found: list[tuple[str, str]] = []
    for item in resource.get("parameter", []):
        values = [v for k, v in item.items() if k.startswith("value")] \
            if isinstance(item, dict) else []
        value = values[0] if len(values) == 1 else None
        if isinstance(value, dict) and set(value) == {"reference"}:
            value = value["reference"]
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                or not isinstance(value, str):
            raise BadRequest("Each kick-off parameter needs a name and one simple value.")
        found.append((item["name"], value))
    return tuple(found)
