"""Bundle and Bundle.entry builders (http://hl7.org/fhir/R4/bundle.html).

``fullUrl`` is always absolute: the server base the client used plus ``Type/id``
(bundle.html#bundle-unique).  Response entries carry ``status`` as "code phrase"
(http://hl7.org/fhir/R4/http.html#transaction-response).
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

from .store import Version, format_instant, render

Json = dict[str, Any]


def full_url(base: str, resource_type: str, resource_id: str) -> str:
    return f"{base}/{resource_type}/{resource_id}"


def bundle(
    bundle_type: str,
    *,
    total: int | None = None,
    links: Sequence[Json] = (),
    entries: Sequence[Json] = (),
) -> Json:
    out: Json = {"resourceType": "Bundle", "type": bundle_type}
    if total is not None:
        out["total"] = total
    if links:
        out["link"] = list(links)
    if entries:
        out["entry"] = list(entries)
    return out


def search_entry(base: str, version: Version, mode: str, resource: Json | None = None) -> Json:
    """A searchset entry; ``resource`` overrides the stored one (e.g. subsetted)."""
    return {
        "fullUrl": full_url(base, version.resource_type, version.id),
        "resource": resource if resource is not None else render(version),
        "search": {"mode": mode},
    }


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def version_headers(version: Version) -> dict[str, str]:
    """``ETag`` and ``Last-Modified`` of a version (http.html#versioning)."""
    return {
        "ETag": version.etag,
        "Last-Modified": format_datetime(version.last_updated.replace(microsecond=0),
                                         usegmt=True),
    }


def response_block(status: int, version: Version | None, location: str | None) -> Json:
    block: Json = {"status": status_line(status)}
    if location:
        block["location"] = location
    if version is not None:
        block["etag"] = version.etag
        block["lastModified"] = format_instant(version.last_updated)
    return block
