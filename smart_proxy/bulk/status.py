"""Bulk Data status requests through the proxy (Bulk Data Access IG v2, "Bulk Data Status
Request" and "Bulk Data Delete Request"; conformance 96).

``GET {fhir_base}/_bulk/{job}``: the proxy polls the upstream status URL it stored.
In progress → ``202`` with ``Retry-After`` and ``X-Progress`` (never a 429 here: Inferno
reads anything but 202 as the end of polling).  Complete → ``200`` ``application/json``
manifest, rebuilt: ``request`` is the kick-off URL the app sent, ``requiresAccessToken``
is always true (the proxy's file URLs need the app's token), every ``output``/``error``
URL is a proxy URL, output files of types the grant no longer reads are left out, and
``count`` is kept only where no granular filter can shrink the file.  ``deleted`` is not
relayed (its Bundles would need the same checks; it is optional in v2).  Job gone or
failed upstream → the upstream's status with an OperationOutcome.

``DELETE`` on the same URL cancels upstream and ends the job: ``202``, then ``404``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp import web
from yarl import URL

from scopes import ScopeSet
from scopes.bulk_export import SYSTEM, granted_for_export

from ..keys import BULK_JOBS, CONFIG, ENDPOINTS, UPSTREAM
from ..outcome import BadGateway, NotFound, outcome_response
from ..proxy.forward import check_credential_accepted, is_json
from .access import headers_for, own_job, upstream_error
from .jobs import ExportFile, ExportJob

_RETRY_AFTER = re.compile(r"\d{1,6}|[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT")
_PROGRESS = re.compile(r"[ -~]{1,100}")


async def poll(request: web.Request) -> web.StreamResponse:
    _, scopes, job = await own_job(request)
    url = URL(job.status_url)
    upstream = request.app[UPSTREAM]
    async with upstream.request("GET", url, headers_for(request, url, "application/json")) as answer:
        check_credential_accepted(answer.status)
        body = await answer.read() if answer.status != 202 else b""
        if answer.status == 202:
            return _in_progress(answer.headers.get("Retry-After"), answer.headers.get("X-Progress"))
        content_type = answer.headers.get("Content-Type", "")
    if answer.status in (404, 410):
        await request.app[BULK_JOBS].end(job.job_id)
        raise NotFound("No such export job.")
    if answer.status >= 400:
        return upstream_error(answer.status, body)
    if answer.status != 200 or not is_json(content_type) or \
            len(body) > request.app[CONFIG].limits.max_inspected_body_bytes:
        raise BadGateway("The FHIR server sent no usable export manifest.")
    manifest, files = _manifest(request, job, scopes, body)
    await request.app[BULK_JOBS].save(ExportJob(job.job_id, job.client_id, job.status_url,
                                                job.request, files))
    return web.Response(body=orjson.dumps(manifest), content_type="application/json",
                        headers={"Cache-Control": "no-store"})


async def cancel(request: web.Request) -> web.StreamResponse:
    _, _, job = await own_job(request)
    url = URL(job.status_url)
    async with request.app[UPSTREAM].request(
        "DELETE", url, headers_for(request, url, "application/fhir+json")
    ) as answer:
        check_credential_accepted(answer.status)
        body = await answer.read()
    if answer.status in (404, 410):
        await request.app[BULK_JOBS].end(job.job_id)
        raise NotFound("No such export job.")
    if answer.status >= 400:
        return upstream_error(answer.status, body)
    await request.app[BULK_JOBS].end(job.job_id)
    response = outcome_response(202, "informational", "The export was cancelled.")
    return response


def _in_progress(retry_after: str | None, progress: str | None) -> web.Response:
    headers = {"Cache-Control": "no-store",
               "Retry-After": retry_after if retry_after and _RETRY_AFTER.fullmatch(retry_after)
               else "5"}
    if progress and _PROGRESS.fullmatch(progress):
        headers["X-Progress"] = progress
    return web.Response(status=202, headers=headers)


def _manifest(
    request: web.Request, job: ExportJob, scopes: ScopeSet, body: bytes
) -> tuple[dict[str, Any], tuple[ExportFile, ...]]:
    try:
        upstream: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadGateway("The FHIR server sent a malformed export manifest.") from None
    if not isinstance(upstream, dict) or not isinstance(upstream.get("output", []), list) \
            or not isinstance(upstream.get("error", []), list):
        raise BadGateway("The FHIR server sent a malformed export manifest.")
    base = request.app[UPSTREAM].base
    files: list[ExportFile] = []
    shown: dict[str, list[dict[str, Any]]] = {"output": [], "error": []}
    for kind in ("output", "error"):
        for item in upstream.get(kind, []):
            if not isinstance(item, dict) or not isinstance(item.get("url"), str) \
                    or not isinstance(item.get("type"), str):
                raise BadGateway("The FHIR server sent a malformed export manifest.")
            rtype = item["type"]
            if kind == "output" and not granted_for_export(scopes, rtype):
                continue
            target = URL(item["url"])
            files.append(ExportFile(kind, rtype, str(target if target.is_absolute()
                                                     else base.join(target))))
            entry: dict[str, Any] = {"type": rtype, "url": _file_url(request, job, len(files) - 1)}
            exact = kind == "error" or scopes.filters_for(rtype, "r", SYSTEM).unrestricted
            if exact and isinstance(item.get("count"), int):
                entry["count"] = item["count"]
            shown[kind].append(entry)
    manifest = {
        "transactionTime": upstream.get("transactionTime"),
        "request": job.request,
        "requiresAccessToken": True,
        "output": shown["output"],
        "error": shown["error"],
    }
    return manifest, tuple(files)


def _file_url(request: web.Request, job: ExportJob, index: int) -> str:
    return str(request.app[ENDPOINTS].fhir_base / "_bulk" / job.job_id / "file" / str(index))
