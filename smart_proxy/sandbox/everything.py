"""``Patient/[id]/$everything`` (http://hl7.org/fhir/R4/patient-operation-everything.html).

Returns the patient, every resource in the patient's compartment, and the resources they
reference that belong to no patient (Practitioner, Organization, Location, Medication, ...),
as a paged searchset.  ``_since`` keeps resources updated at or after an instant; ``_type``
keeps the listed types; ``_count`` sets the page size.
"""

from __future__ import annotations

from datetime import datetime

from scopes.compartment import PATIENT_COMPARTMENT

from .bundles import bundle, search_entry
from .compartment import compartment_types, in_patient_compartment
from .dates import parse_span
from .interaction import FhirCall, FhirResult, Route
from .outcome import gone, invalid, not_found, not_supported
from .paging import OFFSET_PARAM, page_window, paging_links
from .query import IGNORED
from .references import local_references
from .resource_types import RESOURCE_TYPES
from .store import SandboxStore, Version

_ALLOWED = frozenset({"_count", "_since", "_type", OFFSET_PARAM}) | IGNORED


def everything(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    if route.resource_type != "Patient" or route.target != "$everything":
        raise not_supported(f"Operation {route.target} is not supported on {route.resource_type}")
    patient_id = str(route.id)
    patient = store.current("Patient", patient_id)
    if patient is None:
        raise not_found("Patient", patient_id)
    if patient.deleted:
        raise gone("Patient", patient_id, patient.etag)
    since, types = _options(call)
    members = _members(store, patient, call.base)
    referenced = _referenced(store, members, call.base)

    def keep(version: Version) -> bool:
        return (types is None or version.resource_type in types) and (
            since is None or version.last_updated >= since)

    found = [(v, "match") for v in members if keep(v)]
    found += [(v, "include") for v in referenced if keep(v)]
    count, offset = page_window(call.params)
    kept = [(k, v) for k, v in call.params if k in ("_since", "_type")]
    links = paging_links(call.url, kept, offset=offset, count=count, total=len(found))
    entries = [search_entry(call.base, v, mode) for v, mode in found[offset:offset + count]]
    return FhirResult(200, bundle("searchset", total=len(found), links=links, entries=entries))


def _options(call: FhirCall) -> tuple[datetime | None, set[str] | None]:
    since: datetime | None = None
    types: set[str] | None = None
    for name, value in call.params:
        if name == "_since":
            try:
                since = parse_span(value).low
            except ValueError:
                raise invalid(f"_since must be an instant, got {value!r}") from None
        elif name == "_type":
            wanted = {t.strip() for t in value.split(",") if t.strip()}
            unknown = wanted - RESOURCE_TYPES
            if unknown:
                raise invalid(f"Unknown resource type(s) in _type: {', '.join(sorted(unknown))}")
            types = wanted if types is None else types & wanted
        elif name in ("start", "end"):
            raise not_supported(f"$everything parameter {name!r} is not supported")
        elif name not in _ALLOWED and not call.lenient:
            raise invalid(f"Unknown parameter {name!r} for $everything")
    return since, types


def _members(store: SandboxStore, patient: Version, base: str) -> list[Version]:
    members = [patient]
    for resource_type in compartment_types():
        for version in store.live(resource_type):
            if version.key != patient.key and in_patient_compartment(version, patient.id, base):
                members.append(version)
    return members


def _referenced(store: SandboxStore, members: list[Version], base: str) -> list[Version]:
    seen = {v.key for v in members}
    found = []
    for member in members:
        for ref in local_references(member.require(), base):
            if ref.resource_type in PATIENT_COMPARTMENT or str(ref) in seen:
                continue
            target = store.current(ref.resource_type, ref.id)
            if target is not None and not target.deleted:
                seen.add(str(ref))
                found.append(target)
    return found
