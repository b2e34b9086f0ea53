"""Parameters refused before any call (400): what no rule here proves safe.

Peer-gateways (c) 1, 2, 4, 9 and conformance 134–139:

- reverse chaining (``_has`` in any form, ``_has:Observation:patient:code=...``) and
  chains (``subject.name``, ``patient:Patient.name``) are inference oracles over data the
  grant does not reach; ``_filter``, ``_query``, ``_contained`` and ``_containedType``
  are refused for the same reason (``_type`` belongs to system searches: refused too);
- an unknown ``_`` parameter or modifier might change what is selected: refused;
- ``_format`` must be a JSON form (the answer is inspected as JSON);
- ``_include``/``_revinclude`` (with ``:iterate``/``:recurse``) are allowed: every included
  resource is post-checked like an entry;
- ``_total`` and ``_summary=count`` are allowed; the decision strips totals whenever
  filtering could have removed matches.

Interactions other than search take only the few parameters R4 http.html defines for them.
"""

from __future__ import annotations

import re
from enum import Enum

from scopes.decision import Params
from scopes.query import ParamKey, QueryError, parse_key, split_values


class ParamKind(Enum):
    SEARCH = "search"
    READ = "read"
    HISTORY = "history"
    WRITE = "write"
    EVERYTHING = "everything"


REFUSED = frozenset({"_has", "_filter", "_query", "_contained", "_containedType"})
_FORMAT = frozenset({"_format", "_pretty"})
SEARCH_CONTROL = _FORMAT | {
    "_count", "_sort", "_include", "_revinclude", "_summary", "_elements", "_total",
}
SEARCH_SELECT = frozenset({
    "_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "_text", "_content",
    "_list",
})
ALLOWED = {
    ParamKind.READ: _FORMAT | {"_summary", "_elements"},
    ParamKind.HISTORY: _FORMAT | {"_count", "_since", "_at"},
    ParamKind.WRITE: _FORMAT,
    ParamKind.EVERYTHING: _FORMAT | {"_count", "_since", "_type", "start", "end"},
}
MODIFIERS = frozenset({
    "missing", "exact", "contains", "text", "not", "above", "below", "in", "not-in",
    "of-type", "identifier",
})
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})
_VALUES = {
    "_summary": frozenset({"true", "false", "text", "data", "count"}),
    "_total": frozenset({"none", "estimate", "accurate"}),
    "_pretty": frozenset({"true", "false"}),
}
_INCLUDE = re.compile(r"\*|[A-Z][A-Za-z]{0,63}:(\*|[a-z][A-Za-z0-9\-]{0,63})(:[A-Z][A-Za-z]{0,63})?")
_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")


def refusal(params: Params, kind: ParamKind, extra: frozenset[str] = frozenset()) -> str | None:
    """Why ``params`` are refused for ``kind`` of interaction, or ``None`` when they are not."""
    for raw, value in params:
        try:
            key = parse_key(raw)
        except QueryError as error:
            return str(error)
        reason = _key_refusal(key, kind, extra) or _value_refusal(key, value)
        if reason:
            return reason
    return None


def _key_refusal(key: ParamKey, kind: ParamKind, extra: frozenset[str]) -> str | None:
    if key.chained:
        return f"chained and reverse-chained parameters ({key.raw[:64]}) are not supported"
    if key.name in REFUSED:
        return f"the {key.name} parameter is not supported"
    if kind is not ParamKind.SEARCH:
        if key.name not in ALLOWED[kind] | extra or key.modifier is not None:
            return f"the {key.raw[:64]} parameter is not supported on a {kind.value}"
        return None
    if key.name in ("_include", "_revinclude"):
        if key.modifier not in (None, "iterate", "recurse"):
            return f"unknown modifier on {key.raw[:64]}"
        return None
    if key.name.startswith("_") and key.name not in SEARCH_CONTROL | SEARCH_SELECT:
        return f"the {key.name} parameter is not supported"
    if key.name in SEARCH_CONTROL and key.modifier is not None:
        return f"{key.raw[:64]} takes no modifier"
    known = key.modifier is None or key.modifier in MODIFIERS or _TYPE.fullmatch(key.modifier)
    if not known:
        return f"unknown search modifier on {key.raw[:64]}"
    return None


def _value_refusal(key: ParamKey, value: str) -> str | None:
    name = key.name
    if name == "_format" and value.split(";", 1)[0].strip().lower() not in JSON_FORMATS:
        return "only JSON (_format=json or application/fhir+json) is supported"
    if name in _VALUES and value not in _VALUES[name]:
        return f"{name}={value[:32]!r} is not supported"
    if name in ("_include", "_revinclude") and not _INCLUDE.fullmatch(value):
        return f"{name}={value[:64]!r} is not a valid include"
    if name == "_type" and not all(_TYPE.fullmatch(t) for t in split_values(value)):
        return "the _type parameter names no resource type"
    return None
