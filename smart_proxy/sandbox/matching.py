"""One search criterion, prepared from the query and tested against a resource.

Values separated by commas are alternatives (OR); repeating a parameter ANDs criteria
(http://hl7.org/fhir/R4/search.html#combining).  Modifiers implemented: ``:missing`` (all
types), ``:exact``/``:contains`` (string), ``:not``/``:text`` (token), ``:[type]``
(reference).  Anything else is refused with 400 by :func:`prepare`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import dates
from .elements import Token, fold, strings, tokens, values_at
from .outcome import invalid, not_supported
from .params import ParamType, SearchParam
from .references import parse_reference, reference_values
from .resource_types import RESOURCE_TYPES

_MODIFIERS: Mapping[ParamType, frozenset[str]] = {
    ParamType.TOKEN: frozenset({"not", "text"}),
    ParamType.STRING: frozenset({"exact", "contains"}),
    ParamType.DATE: frozenset(),
    ParamType.REFERENCE: frozenset(),
    ParamType.URI: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Criterion:
    param: SearchParam
    modifier: str | None
    values: tuple[Any, ...]


def prepare(param: SearchParam, modifier: str | None, raw: list[str], base: str) -> Criterion:
    """Validate and pre-parse the OR-ed values of one parameter occurrence."""
    if modifier == "missing":
        if raw not in (["true"], ["false"]):
            raise invalid(f"{param.name}:missing takes true or false")
        return Criterion(param, modifier, (raw[0] == "true",))
    if modifier is not None and modifier not in _MODIFIERS[param.type]:
        is_type = param.type is ParamType.REFERENCE and modifier in RESOURCE_TYPES
        if not is_type:
            raise not_supported(f"Modifier :{modifier} is not supported on {param.name}")
    if any(value == "" for value in raw):
        raise invalid(f"Empty value for search parameter {param.name}")
    return Criterion(param, modifier, tuple(_parse(param, modifier, v, base) for v in raw))


def _parse(param: SearchParam, modifier: str | None, value: str, base: str) -> Any:
    if param.type is ParamType.DATE:
        prefix, text = dates.split_prefix(value)
        try:
            return prefix, dates.parse_span(text)
        except ValueError:
            raise invalid(f"Invalid date {value!r} for search parameter {param.name}") from None
    if param.type is ParamType.TOKEN:
        if modifier == "text":
            return fold(value)
        if "|" in value:
            system, code = value.split("|", 1)
            return system, code or None
        return None, value
    if param.type is ParamType.STRING:
        return value if modifier == "exact" else fold(value)
    if param.type is ParamType.REFERENCE:
        if "://" in value:
            local = parse_reference(value, base)
            return str(local) if local else value
        if "/" in value:
            return str(parse_reference(value, base) or value)
        return f"{modifier}/{value}" if modifier else value
    return value


def matches(resource: Mapping[str, Any], criterion: Criterion, base: str) -> bool:
    found = values_at(resource, criterion.param.paths)
    if criterion.modifier == "missing":
        return bool((not found) == criterion.values[0])
    if criterion.param.type is ParamType.TOKEN:
        coded = [t for v in found for t in tokens(v)]
        if criterion.modifier == "not":
            return not any(_token_hit(t, want) for t in coded for want in criterion.values)
        if criterion.modifier == "text":
            texts = [fold(t.text) for t in coded if t.text]
            return any(text.startswith(w) or f" {w}" in text
                       for text in texts for w in criterion.values)
        return any(_token_hit(t, want) for t in coded for want in criterion.values)
    if criterion.param.type is ParamType.STRING:
        return any(_string_hit(s, criterion.modifier, want)
                   for v in found for s in strings(v) for want in criterion.values)
    if criterion.param.type is ParamType.DATE:
        spans = [s for s in (dates.span_of(v) for v in found) if s is not None]
        return any(dates.compare(prefix, span, wanted)
                   for span in spans for prefix, wanted in criterion.values)
    if criterion.param.type is ParamType.REFERENCE:
        refs = [r for v in found for r in _reference_keys(v, criterion.param, base)]
        return any(_reference_hit(ref, want) for ref in refs for want in criterion.values)
    return any(isinstance(v, str) and v == want for v in found for want in criterion.values)


def _token_hit(token: Token, want: tuple[str | None, str | None]) -> bool:
    system, code = want
    if token.code is None:
        return False
    if system is None:
        return token.code == code
    if system == "":
        return token.system is None and token.code == code
    return token.system == system and (code is None or token.code == code)


def _string_hit(text: str, modifier: str | None, want: str) -> bool:
    if modifier == "exact":
        return text == want
    folded = fold(text)
    return want in folded if modifier == "contains" else folded.startswith(want)


def _reference_keys(value: Any, param: SearchParam, base: str) -> list[str]:
    keys = []
    for ref in reference_values(value):
        local = parse_reference(ref, base)
        if local is None:
            keys.append(ref)
        elif param.accepts_target(local.resource_type):
            keys.append(str(local))
    return keys


def _reference_hit(ref: str, want: str) -> bool:
    if "/" in want:
        return ref == want
    return ref.rsplit("/", 1)[-1] == want and "://" not in ref
