"""The pieces of a FHIR search query the policy reads: parameter keys and their value lists.

Source: FHIR R4 search.html.  A key is ``name``, ``name:modifier`` or a chain
(``subject.name``, ``subject:Patient.name``); ``_has:Type:param:...`` is reverse
chaining.  A value is a comma-separated OR-list in which ``\\,`` is a literal comma;
a repeated parameter is an AND.  Query strings (``If-None-Exist``, bundle entry URLs,
``_search`` form bodies) are ``application/x-www-form-urlencoded``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from scopes.decision import Params

_NAME = re.compile(r"_?[A-Za-z][A-Za-z0-9_\-]{0,63}")
_MODIFIER = re.compile(r"[A-Za-z][A-Za-z0-9\-]{0,63}")
_SPLIT = re.compile(r"(?<!\\),")
MAX_QUERY_PAIRS = 200


class QueryError(ValueError):
    """The query cannot be read unambiguously."""


@dataclass(frozen=True)
class ParamKey:
    """``name:modifier`` split; ``chained`` for any ``.`` chain and for ``_has``."""

    raw: str
    name: str
    modifier: str | None = None
    chained: bool = False


def parse_key(raw: str) -> ParamKey:
    """Split a parameter key; raise ``QueryError`` for one no FHIR server would read the same."""
    if raw.startswith("_has") and (raw == "_has" or raw[4] == ":"):
        return ParamKey(raw, "_has", raw[5:] or None, chained=True)
    name, colon, modifier = raw.partition(":")
    chained = "." in raw
    if chained:
        name = name.split(".", 1)[0]
        modifier = modifier.split(".", 1)[0] if colon else ""
    if not _NAME.fullmatch(name):
        raise QueryError(f"{raw[:64]!r} is not a search parameter name")
    if colon and not _MODIFIER.fullmatch(modifier):
        raise QueryError(f"{raw[:64]!r} has a malformed modifier")
    return ParamKey(raw, name, modifier or None, chained)


def split_values(value: str) -> tuple[str, ...]:
    """The OR-list of one parameter occurrence (``\\,`` stays inside a value)."""
    return tuple(_SPLIT.split(value))


def join_values(values: Iterable[str]) -> str:
    return ",".join(values)


def parse_query_string(text: str) -> Params:
    """``a=1&b=2`` → ``(("a", "1"), ("b", "2"))``, percent-decoded once, order kept."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                          max_num_fields=MAX_QUERY_PAIRS)
    except ValueError as error:
        raise QueryError(f"unreadable query string: {error}") from None
    return tuple(pairs)


def format_query_string(params: Params) -> str:
    return urlencode(params, safe="|:/,$*")
