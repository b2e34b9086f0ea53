"""FHIR Bulk Data export for the sandbox (Bulk Data Access IG v2).

Kick-off: ``GET [base]/$export``, ``[base]/Patient/$export`` or ``[base]/Group/[id]/$export``
(or ``POST`` with a ``Parameters`` body) with ``Prefer: respond-async`` answers ``202`` with
the status URL in ``Content-Location``.  The export is taken from the store at kick-off (a
snapshot): the system level holds every resource, the Patient and Group levels the
patients (all, or the Group's members) and their compartments.  ``_type`` and ``_since``
select.  The status URL answers ``202`` with ``Retry-After`` and ``X-Progress`` for the
first ``polls_before_ready`` polls, then ``200`` with the manifest; ``DELETE`` on it
cancels (``202``, then ``404``).  Files are NDJSON, one per type, and need no token (the
sandbox checks none).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from aiohttp import web

from .compartment import in_patient_compartment
from .handlers import BASE_PATH_KEY, STORE_KEY, fhir_response
from .outcome import FhirError
from .resource_types import RESOURCE_TYPES
from .store import SandboxStore, Version, format_instant, parse_instant, render

NDJSON = "application/fhir+ndjson"
_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})


@dataclass
class ExportJob:
    request: str
    transaction_time: str
    files: dict[str, bytes]
    counts: dict[str, int]
    polls_left: int


@dataclass
class Exports:
    """The sandbox's export jobs; ``polls_before_ready`` status polls answer 202."""

    polls_before_ready: int = 1
    jobs: dict[str, ExportJob] = field(default_factory=dict)


EXPORTS: web.AppKey[Exports] = web.AppKey("sandbox_exports", Exports)


def add_bulk_routes(app: web.Application, base_path: str, polls_before_ready: int) -> None:
    app[EXPORTS] = Exports(polls_before_ready)
    for path in ("/$export", "/Patient/$export", "/Group/{group_id}/$export"):
        app.router.add_route("GET", base_path + path, kick_off)
        app.router.add_route("POST", base_path + path, kick_off)
    app.router.add_route("GET", base_path + "/_bulk-status/{job}", status)
    app.router.add_route("DELETE", base_path + "/_bulk-status/{job}", cancel)
    app.router.add_route("GET", base_path + "/_bulk-files/{job}/{name}", download)


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}{request.app[BASE_PATH_KEY]}"


async def kick_off(request: web.Request) -> web.Response:
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise FhirError(400, "Bulk export needs the header Prefer: respond-async")
    params = list(request.query.items())
    if request.method == "POST":
        params += _parameters(await request.read())
    types, since = _selection(params)
    store = request.app[STORE_KEY]
    group_id = request.match_info.get("group_id")
    if request.path.endswith("/Patient/$export") or group_id is not None:
        patients = _patients(store, group_id)
        chosen = [v for v in _live(store) if any(
            in_patient_compartment(v, pid, _base(request)) for pid in patients)]
    else:
        chosen = list(_live(store))
    chosen = [v for v in chosen if (not types or v.resource_type in types)
              and (since is None or v.last_updated >= since)]
    files: dict[str, list[bytes]] = {}
    for version in chosen:
        files.setdefault(version.resource_type, []).append(orjson.dumps(render(version)))
    job_id = secrets.token_hex(16)
    exports = request.app[EXPORTS]
    exports.jobs[job_id] = ExportJob(
        request=str(request.url), transaction_time=format_instant(datetime.now().astimezone()),
        files={t: b"\n".join(lines) + b"\n" for t, lines in files.items()},
        counts={t: len(lines) for t, lines in files.items()},
        polls_left=exports.polls_before_ready,
    )
    return web.Response(status=202, headers={
        "Content-Location": f"{_base(request)}/_bulk-status/{job_id}"})


async def status(request: web.Request) -> web.Response:
    job_id = request.match_info["job"]
    job = _job(request, job_id)
    if job.polls_left > 0:
        job.polls_left -= 1
        return web.Response(status=202, headers={"Retry-After": "1", "X-Progress": "in progress"})
    base = _base(request)
    manifest = {
        "transactionTime": job.transaction_time,
        "request": job.request,
        "requiresAccessToken": True,
        "output": [{"type": t, "url": f"{base}/_bulk-files/{job_id}/{t}.ndjson",
                    "count": job.counts[t]} for t in sorted(job.files)],
        "error": [],
    }
    return web.json_response(manifest, headers={"Expires": "Thu, 01 Jan 2099 00:00:00 GMT"})


async def cancel(request: web.Request) -> web.Response:
    job_id = request.match_info["job"]
    _job(request, job_id)
    del request.app[EXPORTS].jobs[job_id]
    return fhir_response(202, {"resourceType": "OperationOutcome", "issue": [
        {"severity": "information", "code": "informational", "diagnostics": "Export cancelled"}]})


async def download(request: web.Request) -> web.Response:
    job = _job(request, request.match_info["job"])
    name = request.match_info["name"]
    data = job.files.get(name.removesuffix(".ndjson")) if name.endswith(".ndjson") else None
    if data is None:
        raise FhirError(404, f"No export file {name!r}")
    return web.Response(body=data, content_type=NDJSON)


def _job(request: web.Request, job_id: str) -> ExportJob:
    job = request.app[EXPORTS].jobs.get(job_id)
    if job is None:
        raise FhirError(404, "No such export job (finished, cancelled or never started)")
    return job


def _parameters(body: bytes) -> list[tuple[str, str]]:
    try:
        resource = orjson.loads(body) if body.strip() else {"resourceType": "Parameters"}
    except orjson.JSONDecodeError:
        raise FhirError(400, "The kick-off body is not JSON") from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Parameters":
        raise FhirError(400, "A POST kick-off carries a Parameters resource")
    found = []
    for item in resource.get("parameter", []):
        value = next((v for k, v in item.items() if k.startswith("value")), None)
        if isinstance(value, dict):
            value = value.get("reference")
        if isinstance(item.get("name"), str) and isinstance(value, str):
            found.append((item["name"], value))
    return found


def _selection(params: list[tuple[str, str]]) -> tuple[set[str], datetime | None]:
    types: set[str] = set()
    since = None
    for name, value in params:
        if name == "_type":
            types |= {t.strip() for t in value.split(",") if t.strip()}
        elif name == "_since":
            try:
                since = parse_instant(value)
            except ValueError:
                raise FhirError(400, f"_since is not an instant: {value!r}") from None
        elif name == "_outputFormat" and value not in _FORMATS:
            raise FhirError(400, f"Unsupported _outputFormat {value!r}")
    unknown = sorted(types - RESOURCE_TYPES)
    if unknown:
        raise FhirError(400, f"Unknown resource type(s) in _type: {', '.join(unknown)}")
    return types, since


def _patients(store: SandboxStore, group_id: str | None) -> set[str]:
    if group_id is None:
        return {v.id for v in store.live("Patient")}
    group = store.current("Group", group_id)
    if group is None or group.resource is None:
        raise FhirError(404, f"Group/{group_id} is not known")
    references = [m.get("entity", {}).get("reference", "") for m in group.resource.get("member", [])]
    return {ref.split("/", 1)[1] for ref in references if ref.startswith("Patient/")}


def _live(store: SandboxStore) -> list[Version]:
    return [v for t in store.types() for v in store.live(t)]
