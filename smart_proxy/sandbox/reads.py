"""read and vread (http://hl7.org/fhir/R4/http.html#read, #vread).

A read answers 404 for an id never seen and 410 for a deleted resource; both carry an
OperationOutcome.  Responses have ``ETag: W/"<versionId>"`` and ``Last-Modified``; a
matching ``If-None-Match`` gets 304 (http.html#cread).  A Binary result carries its
:class:`~.store.Version` so the HTTP layer can send the raw bytes (binary.html#rest).
"""

from __future__ import annotations

from .bundles import version_headers
from .interaction import FhirCall, FhirResult, Route
from .outcome import FhirError, gone, not_found
from .query import split_values
from .search import subset
from .store import SandboxStore, Version, render


def etag_matches(header: str, version: Version) -> bool:
    """Whether an ``If-None-Match``/``If-Match`` value names ``version`` (weak or strong)."""
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.removeprefix("W/").strip('"') == str(version.version_id):
            return True
    return False


def read(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    assert route.resource_type is not None and route.id is not None
    version = store.current(route.resource_type, route.id)
    if version is None:
        raise not_found(route.resource_type, route.id)
    if version.deleted:
        raise gone(route.resource_type, route.id, version.etag)
    return _respond(call, version)


def vread(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    assert route.resource_type is not None and route.id is not None
    assert route.version_id is not None
    version = store.version(route.resource_type, route.id, route.version_id)
    if version is None:
        if store.current(route.resource_type, route.id) is None:
            raise not_found(route.resource_type, route.id)
        raise FhirError(
            404, f"Version {route.version_id} of {route.resource_type}/{route.id} is not known"
        )
    if version.deleted:
        raise gone(route.resource_type, route.id, version.etag)
    return _respond(call, version)


def _respond(call: FhirCall, version: Version) -> FhirResult:
    headers = version_headers(version)
    if_none_match = call.header("if-none-match")
    if if_none_match and etag_matches(if_none_match, version):
        return FhirResult(304, headers=headers, version=version)
    if version.resource_type == "Binary":
        return FhirResult(200, headers=headers, version=version, binary=True)
    elements = [v for key, value in call.params if key == "_elements"
                for v in split_values(value) if v]
    resource = render(version)
    return FhirResult(200, subset(resource, elements) if elements else resource, headers, version)
