"""Turning search query parameters into a :class:`SearchQuery`.

Result parameters (http://hl7.org/fhir/R4/search.html#return): ``_count`` (default 20,
capped at 200), ``_sort`` (comma list, ``-`` for descending), ``_include`` /
``_revinclude`` (with ``:iterate``), ``_summary`` (``count``, ``data``, ``false``),
``_total`` (``none``, ``estimate``, ``accurate``) and ``_elements``.  Paging uses the
server's own ``_getpagesoffset``.  Unknown parameters are an error (400) unless the client
sends ``Prefer: handling=lenient`` (search.html#errors).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .includes import IncludeSpec, parse_include
from .matching import Criterion, prepare
from .outcome import invalid, not_supported
from .paging import OFFSET_PARAM, page_window
from .params import COMMON, SearchParam, params_for

#: Accepted anywhere and without effect (JSON is the only format).
IGNORED = frozenset({"_format", "_pretty"})
_RESULT = frozenset({"_count", "_sort", "_include", "_revinclude", "_summary", "_total",
                     "_elements", OFFSET_PARAM})
_ELEMENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(\[x\])?")

Params = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class SortKey:
    param: SearchParam
    descending: bool


@dataclass(frozen=True, slots=True)
class SearchQuery:
    resource_types: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    count: int
    offset: int
    sort: tuple[SortKey, ...] = ()
    includes: tuple[IncludeSpec, ...] = ()
    summary: str | None = None
    total: str | None = None
    elements: tuple[str, ...] = ()
    link_params: tuple[tuple[str, str], ...] = ()


def split_values(raw: str) -> list[str]:
    """Split on commas not escaped with a backslash; unescape ``\\,`` ``\\|`` ``\\$`` ``\\\\``."""
    values, current, escaped = [], [], False
    for char in raw:
        if escaped:
            current.append(char if char in ",$|\\" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    values.append("".join(current) + ("\\" if escaped else ""))
    return values


def parse_query(
    resource_types: tuple[str, ...], params: Params, *, base: str, lenient: bool = False
) -> SearchQuery:
    available = params_for(resource_types[0]) if len(resource_types) == 1 else COMMON
    criteria: list[Criterion] = []
    includes: list[IncludeSpec] = []
    sort: list[SortKey] = []
    summary = total = None
    elements: tuple[str, ...] = ()
    kept: list[tuple[str, str]] = []
    for key, value in params:
        name, _, modifier = key.partition(":")
        if name in IGNORED:
            continue
        if name in _RESULT:
            if name in ("_include", "_revinclude"):
                if modifier not in ("", "iterate", "recurse"):
                    raise invalid(f"Unknown modifier on {name}: {modifier!r}")
                includes.append(parse_include(
                    value, reverse=name == "_revinclude", iterate=bool(modifier)))
            elif modifier:
                raise invalid(f"{name} takes no modifier")
            elif name == "_sort":
                sort.extend(_sort_keys(value, available))
            elif name == "_summary":
                summary = _choice(name, value, ("count", "data", "false"))
            elif name == "_total":
                total = _choice(name, value, ("none", "estimate", "accurate"))
            elif name == "_elements":
                elements = _elements(value)
            if name not in ("_count", OFFSET_PARAM):
                kept.append((key, value))
            continue
        if "." in name:
            if lenient:
                continue
            raise not_supported(f"Chained search parameter {key!r} is not supported")
        param = available.get(name)
        if param is None:
            if lenient:
                continue
            known = ", ".join(sorted(available))
            raise invalid(
                f"Unknown search parameter {name!r} for {'/'.join(resource_types)}. "
                f"Known parameters: {known}"
            )
        criteria.append(prepare(param, modifier or None, split_values(value), base))
        kept.append((key, value))
    count, offset = page_window(params)
    return SearchQuery(
        resource_types, tuple(criteria), count, offset, tuple(sort), tuple(includes),
        summary, total, elements, tuple(kept),
    )


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise not_supported(f"{name}={value} is not supported (use one of {', '.join(allowed)})")
    return value


def _sort_keys(value: str, available: Mapping[str, SearchParam]) -> list[SortKey]:
    keys = []
    for item in value.split(","):
        descending = item.startswith("-")
        param = available.get(item.lstrip("-"))
        if param is None:
            raise invalid(f"Unknown sort parameter {item!r}")
        keys.append(SortKey(param, descending))
    return keys


def _elements(value: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    for name in names:
        if _ELEMENT.fullmatch(name) is None:
            raise invalid(f"Invalid _elements entry {name!r}")
    return names
