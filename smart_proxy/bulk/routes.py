"""The bulk export routes, registered ahead of the FHIR catch-all route."""

from __future__ import annotations

from aiohttp import web

from .files import download
from .kickoff import kick_off
from .status import cancel, poll

_ID = "{group_id:[A-Za-z0-9\\-.]{1,64}}"
_JOB = "{job:[A-Za-z0-9_\\-]{16,128}}"


def add_bulk_routes(app: web.Application) -> None:
    for path in ("/fhir/$export", "/fhir/Patient/$export", f"/fhir/Group/{_ID}/$export"):
        app.router.add_route("GET", path, kick_off)
        app.router.add_route("POST", path, kick_off)
    app.router.add_route("GET", f"/fhir/_bulk/{_JOB}", poll)
    app.router.add_route("DELETE", f"/fhir/_bulk/{_JOB}", cancel)
    app.router.add_route("GET", f"/fhir/_bulk/{_JOB}/file/{{index:[0-9]{{1,6}}}}", download)
