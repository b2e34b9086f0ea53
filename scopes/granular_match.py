"""Does a resource satisfy the granular filters of a scope set?  (``FilterUnion`` → bool)

Sources: SMART App Launch 2.2.0 ("Finer-grained resource constraints using search
parameters": a granular scope opens the resources a FHIR search with those parameters would
return); FHIR R4 search.html#token (``[code]`` any system, ``[system]|[code]``, ``|[code]``
no system, ``[system]|`` any code of the system; ``,`` ORs values; ``\\`` escapes ``, | $``);
US Core 7 scopes.html: a category scope opens a resource whose categories include the
granted one "regardless of other categories present".

Only token parameters whose element is known here (``TOKEN_ELEMENTS``) can match.  Any other
parameter, a modifier, or a malformed value matches nothing: an unknown filter must narrow,
never widen (fail closed).  Values are percent-decoded once, as a search URL would be.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, TypeAlias
from urllib.parse import unquote

from scopes.references import split_or_list
from scopes.scopeset import FilterUnion

# R4 search parameter → the element(s) its FHIRPath reads, for the types US Core scopes use.
TOKEN_ELEMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "category": ("category",),
    "code": ("code",),
    "status": ("status",),
    "clinical-status": ("clinicalStatus",),
    "verification-status": ("verificationStatus",),
    "type": ("type",),
})

# (system, code): system None = any system, "" = no system; code None = any code.
Token: TypeAlias = tuple[str | None, str | None]
_UNESCAPE = {"\\": "\\", "|": "|", ",": ",", "$": "$"}


def matches(resource: Mapping[str, Any], union: FilterUnion) -> bool:
    """True iff unrestricted, or every filter of at least one alternative matches."""
    if union.unrestricted:
        return True
    return any(
        all(filter_matches(resource, name, value) for name, value in alternative)
        for alternative in union.alternatives
    )


def filter_matches(resource: Mapping[str, Any], name: str, value: str) -> bool:
    """Would ``resource`` be found by the search ``name=value``?  Unknown ``name``: False."""
    elements = TOKEN_ELEMENTS.get(name)
    tokens = parse_token_value(value)
    if elements is None or not tokens:
        return False
    for element in elements:
        for system, code in _codes(resource.get(element)):
            if any(_token_matches(token, system, code) for token in tokens):
                return True
    return False


@lru_cache(maxsize=1024)
def parse_token_value(value: str) -> tuple[Token, ...]:
    """The OR-ed tokens of a search value; malformed alternatives are left out."""
    try:
        decoded = unquote(value, errors="strict")
    except UnicodeDecodeError:
        return ()
    tokens = (_parse_token(part) for part in split_or_list(decoded))
    return tuple(token for token in tokens if token is not None)


def _parse_token(text: str) -> Token | None:
    halves = _split_unescaped_bars(text)
    if halves is None:
        return None
    if len(halves) == 1:
        return (None, halves[0]) if halves[0] else None
    system, code = halves
    if not system and not code:
        return None
    return system, code or None


def _split_unescaped_bars(text: str) -> list[str] | None:
    """Split at unescaped ``|`` and resolve escapes; None for a bad escape or two bars."""
    halves, current = [], []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            escaped = _UNESCAPE.get(next(chars, ""))
            if escaped is None:
                return None
            current.append(escaped)
        elif ch == "|":
            halves.append("".join(current))
            current = []
        else:
            current.append(ch)
    halves.append("".join(current))
    return halves if len(halves) <= 2 else None


def _codes(value: object) -> Iterator[tuple[str | None, str | None]]:
    """(system, code) pairs of a code, Coding, CodeableConcept or a list of them.

    A bare ``code`` (e.g. ``status``) yields system ``None``: it has no system property.
    """
    if isinstance(value, str):
        yield None, value
    elif isinstance(value, list):
        for item in value:
            yield from _codes(item)
    elif isinstance(value, dict):
        codings = value.get("coding")
        if codings is None:
            codings = [value] if "code" in value or "system" in value else []
        for coding in codings if isinstance(codings, list) else ():
            if isinstance(coding, dict):
                system, code = coding.get("system"), coding.get("code")
                yield (system if isinstance(system, str) else ""), (
                    code if isinstance(code, str) else None)


def _token_matches(token: Token, system: str | None, code: str | None) -> bool:
    want_system, want_code = token
    if want_code is not None and code != want_code:
        return False
    if want_system is None:
        return code is not None
    if system is None:  # a bare code has no system property: only "|code" can name it
        return want_system == "" and want_code is not None
    return system == want_system
