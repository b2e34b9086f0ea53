"""Granular scope filters: the ``?param=value(&param=value)*`` suffix of a SMART 2 scope.

Source: SMART App Launch 2.2.0, scopes-and-launch-context.html, "Finer-grained resource
constraints using search parameters": a scope such as ``patient/Observation.rs?category=``
``http://terminology.hl7.org/CodeSystem/observation-category|laboratory`` (one string)
limits the scope to resources that would match that FHIR search.  The IG lists modifiers,
chained parameters and ``_filter`` as experimental ("Experimental features"); this grammar
rejects them, and it rejects the search *result* parameters (``_count``, ``_include``, ...)
because they do not select resources at all.

Values are kept byte for byte: no percent-decoding, no re-encoding.  Scopes are compared
literally (an app that writes ``%7C`` instead of ``|`` asked for a different string), and the
token response must echo exactly what was requested.
"""

from __future__ import annotations

import re
from typing import TypeAlias

from scopes.errors import ScopeSyntaxError

Filter: TypeAlias = tuple[str, str]
Filters: TypeAlias = tuple[Filter, ...]

# FHIR search parameter names (R4 "SearchParameter.code"): lower-case start or "_", then letters,
# digits, "-" and "_" ("_lastUpdated", "clinical-status").  ":" would be a modifier and "." a chain.
_PARAMETER_NAME = re.compile(r"[a-z_][A-Za-z0-9_-]{0,63}")
# The value may hold any scope-token character (RFC 6749 §3.3) except the query delimiters.
_PARAMETER_VALUE = re.compile(r"[\x21\x24\x25\x27-\x3c\x3e\x40-\x5b\x5d-\x7e]+")

RESULT_PARAMETERS = frozenset({
    "_count", "_contained", "_containedType", "_elements", "_format", "_has", "_include",
    "_pretty", "_query", "_revinclude", "_sort", "_summary", "_total", "_filter",
})


def parse_filters(query: str) -> Filters:
    """Split the text after ``?`` into ``(name, value)`` pairs, in the order written.

    Raise ``ScopeSyntaxError`` for an empty query, an empty or implausible name, a missing or
    empty value, a repeated ``name=value`` pair, or a stray ``?``, ``#`` or ``=``.
    """
    if not query:
        raise ScopeSyntaxError("nothing after '?'")
    if "?" in query:
        raise ScopeSyntaxError("a scope may contain only one '?'")
    filters: list[Filter] = []
    for part in query.split("&"):
        filters.append(_parse_filter(part))
    if len(set(filters)) != len(filters):
        raise ScopeSyntaxError("a granular filter is repeated")
    return tuple(filters)


def _parse_filter(part: str) -> Filter:
    if not part:
        raise ScopeSyntaxError("empty filter between '&'s")
    name, equals, value = part.partition("=")
    if not equals:
        raise ScopeSyntaxError(f"filter {part!r} is not name=value")
    if not name:
        raise ScopeSyntaxError(f"filter {part!r} has no parameter name")
    if ":" in name:
        raise ScopeSyntaxError(f"search modifiers ({name!r}) are not supported in scopes")
    if "." in name:
        raise ScopeSyntaxError(f"chained parameters ({name!r}) are not supported in scopes")
    if not _PARAMETER_NAME.fullmatch(name):
        raise ScopeSyntaxError(f"{name!r} is not a FHIR search parameter name")
    if name in RESULT_PARAMETERS:
        raise ScopeSyntaxError(f"{name!r} cannot restrict a scope")
    if not value:
        raise ScopeSyntaxError(f"filter {name!r} has an empty value")
    if not _PARAMETER_VALUE.fullmatch(value):
        raise ScopeSyntaxError(f"filter {name!r} has a character not allowed in a value")
    return name, value


def format_filters(filters: Filters) -> str:
    """``?a=1&b=2`` for ``(("a", "1"), ("b", "2"))``; empty text for no filters."""
    if not filters:
        return ""
    return "?" + "&".join(f"{name}={value}" for name, value in filters)
