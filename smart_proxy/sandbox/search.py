"""Running a search: match, sort, page, include, and build the searchset Bundle.

The result order is stable: the ``_sort`` keys, then the order in which resources were
created.  Missing sort values sort last in either direction.  ``_summary=count`` returns
only ``total`` (search.html#summary); ``_elements`` and ``_summary=data`` mark the
resources they trim with the ``SUBSETTED`` tag (search.html#elements).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from .bundles import bundle, search_entry
from .dates import span_of
from .elements import fold, strings, tokens, values_at
from .includes import resolve_includes
from .matching import matches
from .paging import paging_links
from .params import ParamType
from .query import SearchQuery, SortKey
from .references import reference_values
from .store import SandboxStore, Version, render

Json = dict[str, Any]

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}


Scope = Callable[[Version], bool]


def find(
    store: SandboxStore, query: SearchQuery, base: str, *, scope: Scope | None = None
) -> list[Version]:
    """All matches of ``query`` among the resources ``scope`` admits, sorted."""
    found = []
    for resource_type in query.resource_types:
        for version in store.live(resource_type):
            if scope is not None and not scope(version):
                continue
            resource = version.require()
            if all(matches(resource, criterion, base) for criterion in query.criteria):
                found.append(version)
    for key in reversed(query.sort):
        found.sort(key=partial(_sort_value, key=key), reverse=key.descending)
    return found


def search_bundle(
    store: SandboxStore,
    query: SearchQuery,
    *,
    base: str,
    url: str,
    scope: Scope | None = None,
) -> Json:
    found = find(store, query, base, scope=scope)
    total = None if query.total == "none" else len(found)
    count = 0 if query.summary == "count" else query.count
    links = paging_links(url, query.link_params, offset=query.offset, count=count,
                         total=len(found))
    if count == 0:
        return bundle("searchset", total=len(found), links=links)
    page = found[query.offset:query.offset + count]
    included = resolve_includes(store, page, query.includes, base)
    entries = [search_entry(base, v, "match", _trim(v, query)) for v in page]
    entries += [search_entry(base, v, "include") for v in included]
    return bundle("searchset", total=total, links=links, entries=entries)


def subset(resource: Json, elements: Sequence[str]) -> Json:
    """Only ``elements`` (plus the mandatory id/meta) of ``resource``, tagged SUBSETTED."""
    keep = {"resourceType", "id", "meta"}
    out = {}
    for key, value in resource.items():
        if key in keep or any(_element_hit(key, name) for name in elements):
            out[key] = value
    return _tag_subsetted(out)


def _trim(version: Version, query: SearchQuery) -> Json | None:
    if query.elements:
        return subset(render(version), query.elements)
    if query.summary == "data":
        resource = {k: v for k, v in render(version).items() if k != "text"}
        return _tag_subsetted(resource)
    return None


def _tag_subsetted(resource: Json) -> Json:
    meta = dict(resource.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    return {**resource, "meta": meta}


def _element_hit(key: str, name: str) -> bool:
    if name.endswith("[x]"):
        stem = name[:-3]
        return key.startswith(stem) and key[len(stem):][:1].isupper()
    return key == name


def _sort_value(version: Version, key: SortKey) -> tuple[Any, ...]:
    """``(0, value)`` when present, ``(1,)`` when absent (so absent sorts last ascending)."""
    value = _first_value(version.require(), key)
    if value is None:
        return (0,) if key.descending else (1,)
    return (1, value) if key.descending else (0, value)


def _first_value(resource: Json, key: SortKey) -> Any:
    found = values_at(resource, key.param.paths)
    kind = key.param.type
    for item in found:
        if kind is ParamType.DATE:
            span = span_of(item)
            if span is not None:
                return span.low
        elif kind is ParamType.STRING:
            for text in strings(item):
                return fold(text)
        elif kind is ParamType.TOKEN:
            for token in tokens(item):
                if token.code is not None:
                    return token.code
        elif kind is ParamType.REFERENCE:
            for ref in reference_values(item):
                return ref
        elif isinstance(item, str):
            return item
    return None
