"""Granular scopes as one upstream search filter, intersected with the app's own.

SMART App Launch 2.2 "Finer-grained resource constraints using search parameters"
and conformance 134: the recommended enforcement ANDs one extra parameter whose value
is the comma-ORed granted values (``category=<lab>,<vital-signs>``), so upstream paging
stays consistent.  That is exact when the alternatives are

- all single filters on the same parameter (``category=a`` OR ``category=b``), or
- one alternative (its filters AND, one parameter each).

The app's own plain occurrences of that parameter are intersected value by value (token
semantics: ``code`` alone matches any system, ``system|`` any code, codes compare
case-insensitively as Inferno does); values outside the grant are dropped and an empty
intersection answers an empty searchset.  Any other shape (alternatives on different
parameters) cannot be one query: the search goes upstream unfiltered for the granular
part and the post-check on every entry is the enforcement (``exact`` is False).
"""

from __future__ import annotations

from dataclasses import dataclass

from scopes.decision import Params
from scopes.query import join_values, parse_key, split_values
from scopes.scopeset import FilterUnion


@dataclass(frozen=True)
class FilterNarrowed:
    params: Params
    empty: bool = False
    exact: bool = True  # the upstream query alone enforces the granular filters


def narrow_to_filters(params: Params, union: FilterUnion) -> FilterNarrowed:
    if union.unrestricted:
        return FilterNarrowed(params)
    groups = _as_parameters(union)
    if groups is None:
        return FilterNarrowed(params, exact=False)
    kept = list(params)
    for name, granted in groups:
        narrowed_plain = False
        for index, (raw, value) in enumerate(kept):
            key = parse_key(raw)
            if key.name != name or key.modifier is not None:
                continue
            common = _intersection(split_values(value), granted)
            if not common:
                return FilterNarrowed((), empty=True)
            kept[index] = (name, join_values(common))
            narrowed_plain = True
        if not narrowed_plain:
            kept.append((name, join_values(granted)))
    return FilterNarrowed(tuple(kept))


def _as_parameters(union: FilterUnion) -> list[tuple[str, tuple[str, ...]]] | None:
    alternatives = union.alternatives
    if len(alternatives) == 1:
        return [(name, split_values(value)) for name, value in sorted(alternatives[0])]
    if all(len(alt) == 1 for alt in alternatives):
        names = {name for alt in alternatives for name, _ in alt}
        if len(names) == 1:
            values: list[str] = []
            for alt in alternatives:
                values.extend(v for _, value in alt for v in split_values(value))
            return [(names.pop(), tuple(dict.fromkeys(values)))]
    return None


def _intersection(asked: tuple[str, ...], granted: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for grant in granted:
        for value in asked:
            common = _token_intersection(value, grant)
            if common is not None and common not in found:
                found.append(common)
    return tuple(found)


def _token_intersection(asked: str, granted: str) -> str | None:
    """The narrower of two token values when they overlap (R4 search.html#token)."""
    a_system, a_code = _token(asked)
    g_system, g_code = _token(granted)
    if a_system is not None and g_system is not None and a_system != g_system:
        return None
    if a_code and g_code and a_code.lower() != g_code.lower():
        return None
    system = a_system if a_system is not None else g_system
    code = g_code or a_code
    return code if system is None else f"{system}|{code}"


def _token(value: str) -> tuple[str | None, str]:
    system, bar, code = value.partition("|")
    return (system, code) if bar else (None, value)
