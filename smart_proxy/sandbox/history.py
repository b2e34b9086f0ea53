"""The history interactions (http://hl7.org/fhir/R4/http.html#history).

``[base]/Type/id/_history``, ``[base]/Type/_history`` and ``[base]/_history`` return a
Bundle of type ``history``: newest version first, each entry with ``request`` (how the
version came to be) and ``response`` (status, etag, lastModified), no ``resource`` for a
deletion.  Parameters: ``_count``, ``_since`` (versions at or after an instant) and the
paging offset.  ``_at`` is not supported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .bundles import bundle, full_url, response_block
from .dates import parse_span
from .interaction import FhirCall, FhirResult, Kind, Route
from .outcome import invalid, not_found, not_supported
from .paging import OFFSET_PARAM, page_window, paging_links
from .query import IGNORED
from .store import SandboxStore, Version, render

Json = dict[str, Any]

_ALLOWED = frozenset({"_count", "_since", OFFSET_PARAM}) | IGNORED


def history(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    resource_type = route.resource_type if route.kind is not Kind.SYSTEM_HISTORY else None
    resource_id = route.id if route.kind is Kind.INSTANCE_HISTORY else None
    since = None
    for name, value in call.params:
        if name == "_since":
            since = _instant(value)
        elif name == "_at":
            raise not_supported("_at is not supported on _history")
        elif name not in _ALLOWED and not call.lenient:
            raise invalid(f"Unknown parameter {name!r} for _history")
    versions = store.versions(resource_type, resource_id)
    if resource_id is not None and not versions:
        raise not_found(str(resource_type), resource_id)
    if since is not None:
        versions = [v for v in versions if v.last_updated >= since]
    count, offset = page_window(call.params)
    kept = [(k, v) for k, v in call.params if k in ("_since",)]
    links = paging_links(call.url, kept, offset=offset, count=count, total=len(versions))
    page = versions[offset:offset + count]
    entries = [history_entry(call.base, v) for v in page]
    return FhirResult(200, bundle("history", total=len(versions), links=links, entries=entries))


def history_entry(base: str, version: Version) -> Json:
    entry: Json = {"fullUrl": full_url(base, version.resource_type, version.id)}
    if not version.deleted:
        entry["resource"] = render(version)
    created = version.version_id == 1 or version.method == "POST"
    url = version.resource_type if version.method == "POST" else version.key
    status = 204 if version.deleted else 201 if created else 200
    entry["request"] = {"method": version.method, "url": url}
    entry["response"] = response_block(status, version, None)
    return entry


def _instant(value: str) -> datetime:
    try:
        return parse_span(value).low
    except ValueError:
        raise invalid(f"_since must be an instant, got {value!r}") from None
