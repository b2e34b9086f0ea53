"""Paging links for searchset and history bundles.

Pages are computed again on each request from the same query plus ``_getpagesoffset``
(an offset into the stably ordered result), so ``next`` always yields the following page
while the data is unchanged.  Links are absolute and carry every original parameter
(http://hl7.org/fhir/R4/http.html#paging).  ``_count`` defaults to 20 and is capped at 200
(search.html#count).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from .outcome import invalid

Json = dict[str, Any]

DEFAULT_COUNT = 20
MAX_COUNT = 200
OFFSET_PARAM = "_getpagesoffset"


def page_url(url: str, params: Sequence[tuple[str, str]], count: int, offset: int) -> str:
    pairs = [*params, ("_count", str(count))]
    if offset:
        pairs.append((OFFSET_PARAM, str(offset)))
    return f"{url}?{urlencode(pairs)}"


def paging_links(
    url: str, params: Sequence[tuple[str, str]], *, offset: int, count: int, total: int
) -> list[Json]:
    """``self``, ``first``, ``previous``, ``next`` and ``last`` as they apply."""

    def link(relation: str, at: int) -> Json:
        return {"relation": relation, "url": page_url(url, params, count, at)}

    links = [link("self", offset)]
    if count == 0:
        return links
    links.append(link("first", 0))
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    if offset + count < total:
        links.append(link("next", offset + count))
    links.append(link("last", max(0, (total - 1) // count * count)))
    return links


def page_window(params: Sequence[tuple[str, str]], default: int = DEFAULT_COUNT) -> tuple[int, int]:
    """``(count, offset)`` from ``_count`` and ``_getpagesoffset``."""
    count, offset = default, 0
    for name, value in params:
        if name == "_count":
            count = min(_non_negative(name, value), MAX_COUNT)
        elif name == OFFSET_PARAM:
            offset = _non_negative(name, value)
    return count, offset


def _non_negative(name: str, value: str) -> int:
    if not value.isdigit():
        raise invalid(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)
