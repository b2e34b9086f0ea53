"""``_include`` and ``_revinclude``, with ``:iterate``.

``_include=Source:param[:Target]`` adds the resources that the matches reference through
``param``; ``_revinclude=Source:param[:Target]`` adds the ``Source`` resources that
reference the matches through ``param``.  Without ``:iterate`` a directive applies to the
matches only; with it, it applies again to everything added, until nothing new appears
(http://hl7.org/fhir/R4/search.html#include and #revinclude).  ``*`` as source or parameter
means "every reference".  Included resources are computed per page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .elements import values_at
from .outcome import invalid
from .params import ParamType, lookup
from .references import LocalRef, local_references, parse_reference, reference_values
from .resource_types import RESOURCE_TYPES
from .store import SandboxStore, Version

#: Bound on ``:iterate`` rounds, so a reference cycle cannot loop.
MAX_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class IncludeSpec:
    source: str
    param: str
    target: str | None
    reverse: bool
    iterate: bool


def parse_include(value: str, *, reverse: bool, iterate: bool) -> IncludeSpec:
    name = "_revinclude" if reverse else "_include"
    if value == "*":
        return IncludeSpec("*", "*", None, reverse, iterate)
    parts = value.split(":")
    if len(parts) not in (2, 3):
        raise invalid(f"{name} must be Type:parameter[:targetType], got {value!r}")
    source, param = parts[0], parts[1]
    target = parts[2] if len(parts) == 3 else None
    if source != "*" and source not in RESOURCE_TYPES:
        raise invalid(f"{name}: unknown resource type {source!r}")
    if target is not None and target not in RESOURCE_TYPES:
        raise invalid(f"{name}: unknown target type {target!r}")
    if param != "*":
        definition = lookup(source, param) if source != "*" else None
        if definition is None or definition.type is not ParamType.REFERENCE:
            raise invalid(f"{name}: {param!r} is not a reference parameter of {source}")
    return IncludeSpec(source, param, target, reverse, iterate)


def resolve_includes(
    store: SandboxStore, matches: Sequence[Version], specs: Sequence[IncludeSpec], base: str
) -> list[Version]:
    """The resources the directives add to ``matches``, without duplicates, in found order."""
    seen = {v.key for v in matches}
    included: list[Version] = []
    frontier = list(matches)
    indexes: dict[IncludeSpec, Mapping[str, list[Version]]] = {}
    for round_number in range(MAX_ROUNDS):
        active = [s for s in specs if round_number == 0 or s.iterate]
        added: list[Version] = []
        for spec in active:
            if spec.reverse:
                if spec not in indexes:
                    indexes[spec] = _referrers(store, spec, base)
                found: Iterator[Version] = _reverse(spec, frontier, indexes[spec])
            else:
                found = _forward(store, spec, frontier, base)
            for version in found:
                if version.key not in seen:
                    seen.add(version.key)
                    added.append(version)
        included.extend(added)
        frontier = added
        if not frontier:
            break
    return included


def references_of(
    resource: Mapping[str, Any], resource_type: str, param_name: str, base: str
) -> list[LocalRef]:
    """Local references held by ``param_name`` (``*``: any element) of ``resource``."""
    if param_name == "*":
        return list(local_references(resource, base))
    param = lookup(resource_type, param_name)
    if param is None:
        return []
    found = []
    for value in values_at(resource, param.paths):
        for ref in reference_values(value):
            local = parse_reference(ref, base)
            if local is not None and param.accepts_target(local.resource_type):
                found.append(local)
    return found


def _forward(
    store: SandboxStore, spec: IncludeSpec, frontier: Sequence[Version], base: str
) -> Iterator[Version]:
    for version in frontier:
        if spec.source not in ("*", version.resource_type) or version.resource is None:
            continue
        for ref in references_of(version.resource, version.resource_type, spec.param, base):
            if spec.target and ref.resource_type != spec.target:
                continue
            target = store.current(ref.resource_type, ref.id)
            if target is not None and not target.deleted:
                yield target


def _referrers(store: SandboxStore, spec: IncludeSpec, base: str) -> Mapping[str, list[Version]]:
    index: dict[str, list[Version]] = defaultdict(list)
    for resource_type in store.types() if spec.source == "*" else [spec.source]:
        for version in store.live(resource_type):
            refs = references_of(version.require(), resource_type, spec.param, base)
            for key in dict.fromkeys(str(ref) for ref in refs):
                index[key].append(version)
    return index


def _reverse(
    spec: IncludeSpec, frontier: Sequence[Version], index: Mapping[str, list[Version]]
) -> Iterator[Version]:
    for version in frontier:
        if spec.target and version.resource_type != spec.target:
            continue
        yield from index.get(version.key, [])
