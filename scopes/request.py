"""A FHIR REST call as the policy sees it: a frozen value built from method, path and query.

Every interaction of the FHIR R4 RESTful API (http://hl7.org/fhir/R4/http.html)
is recognised from the method and the path segments below the FHIR base; anything
else is a :class:`RequestError` (the proxy answers 400).  Path segments arrive
already split and percent-decoded; the grammar of each segment is checked here so
that no later comparison ever sees an ambiguous value.

Besides the path and query the policy reads three things: the media type of the
body (PATCH: JSON Patch or FHIRPath Patch), the ``If-None-Exist`` header (a hidden
search, peer-gateways (c) 9) and, for ``POST _search``, the form body, whose
parameters count exactly like query parameters (R4 http.html#search: both together).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from urllib.parse import unquote

from scopes.interaction import Interaction
from scopes.query import QueryError, parse_query_string

_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_OPERATION = re.compile(r"\$[a-z][A-Za-z0-9\-]{0,63}")


class RequestError(ValueError):
    """The call is not a FHIR interaction this server understands."""


class Level(Enum):
    SYSTEM = "system"
    TYPE = "type"
    INSTANCE = "instance"


class Special(Enum):
    """Calls that are not a resource interaction of one type."""

    CAPABILITIES = "capabilities"
    BUNDLE = "bundle"  # batch or transaction, POSTed to the base
    SYSTEM_SEARCH = "system-search"
    SYSTEM_HISTORY = "system-history"


@dataclass(frozen=True)
class FhirRequest:
    method: str
    level: Level
    interaction: Interaction | None = None
    special: Special | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    version_id: str | None = None
    compartment: tuple[str, str] | None = None
    operation: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    content_type: str | None = None
    if_none_exist: str | None = None
    # A bundle entry's resource, by reference (not part of the value's identity).
    body: object = field(default=None, compare=False, repr=False)

    @property
    def is_conditional(self) -> bool:
        return self.resource_id is None and self.interaction in (
            Interaction.UPDATE,
            Interaction.PATCH,
            Interaction.DELETE,
        )


def parse_request(
    method: str,
    segments: Sequence[str],
    params: Sequence[tuple[str, str]] = (),
    *,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    form: Sequence[tuple[str, str]] = (),
) -> FhirRequest:
    """Classify one call; ``segments`` are the decoded path parts below the FHIR base.

    ``content_type`` (or the ``Content-Type`` in ``headers``) is kept as a bare media type;
    ``If-None-Exist`` is read from ``headers``; ``form`` is a ``POST _search`` body's pairs.
    """
    request = _classify(method.upper(), tuple(segments), tuple(params))
    media = content_type if content_type is not None else _header(headers, "content-type")
    extras: dict[str, object] = {"content_type": _media_type(media)}
    if_none_exist = _header(headers, "if-none-exist")
    if if_none_exist is not None:
        if request.interaction is not Interaction.CREATE:
            raise RequestError("If-None-Exist belongs only to a create")
        extras["if_none_exist"] = if_none_exist
    if form:
        if request.interaction is not Interaction.SEARCH or request.method != "POST":
            raise RequestError("a form body belongs only to POST _search")
        extras["params"] = request.params + tuple(form)
    return replace(request, **extras)  # type: ignore[arg-type]


def parse_url(method: str, url: str, **kwargs: object) -> FhirRequest:
    """Classify a call given as a URL relative to the FHIR base (``Observation?code=x``)."""
    path, _, query = url.partition("?")
    if ":" in path or path.startswith("/") or "#" in url:
        raise RequestError("only URLs relative to the FHIR base are accepted")
    segments = [unquote(part) for part in path.split("/")] if path else []
    try:
        params = parse_query_string(query)
    except QueryError as error:
        raise RequestError(str(error)) from None
    return parse_request(method, segments, params, **kwargs)  # type: ignore[arg-type]


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _media_type(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _classify(method: str, parts: tuple[str, ...], query: tuple[tuple[str, str], ...]) -> FhirRequest:
    for part in parts:
        if not part or part in (".", ".."):
            raise RequestError("empty or dot path segment")
    if not parts:
        return _system(method, query)
    head = parts[0]
    if head == "metadata" and len(parts) == 1 and method in ("GET", "HEAD"):
        return FhirRequest(method, Level.SYSTEM, special=Special.CAPABILITIES, params=query)
    if head == "_history" and len(parts) == 1 and method == "GET":
        return FhirRequest(method, Level.SYSTEM, special=Special.SYSTEM_HISTORY, params=query)
    if head == "_search" and len(parts) == 1 and method == "POST":
        return FhirRequest(method, Level.SYSTEM, special=Special.SYSTEM_SEARCH, params=query)
    if _OPERATION.fullmatch(head) and len(parts) == 1 and method in ("GET", "POST"):
        return FhirRequest(method, Level.SYSTEM, Interaction.OPERATION, operation=head, params=query)
    if not _TYPE.fullmatch(head):
        raise RequestError(f"not a FHIR resource type: {head[:64]!r}")
    return _typed(method, head, parts[1:], query)


def _system(method: str, query: tuple[tuple[str, str], ...]) -> FhirRequest:
    if method == "GET":
        return FhirRequest(method, Level.SYSTEM, special=Special.SYSTEM_SEARCH, params=query)
    if method == "POST":
        return FhirRequest(method, Level.SYSTEM, special=Special.BUNDLE, params=query)
    raise RequestError(f"{method} is not allowed on the base URL")


_TYPE_LEVEL = {
    "GET": Interaction.SEARCH,
    "HEAD": Interaction.SEARCH,
    "POST": Interaction.CREATE,
    "PUT": Interaction.UPDATE,
    "PATCH": Interaction.PATCH,
    "DELETE": Interaction.DELETE,
}
_INSTANCE_LEVEL = {
    "GET": Interaction.READ,
    "HEAD": Interaction.READ,
    "PUT": Interaction.UPDATE,
    "PATCH": Interaction.PATCH,
    "DELETE": Interaction.DELETE,
}


def _typed(
    method: str, rtype: str, rest: tuple[str, ...], query: tuple[tuple[str, str], ...]
) -> FhirRequest:
    base = FhirRequest(method, Level.TYPE, resource_type=rtype, params=query)
    if not rest:
        interaction = _TYPE_LEVEL.get(method)
        if interaction is None:
            raise RequestError(f"{method} is not allowed on a type")
        if interaction in (Interaction.UPDATE, Interaction.PATCH, Interaction.DELETE) and not query:
            raise RequestError("a conditional update, patch or delete needs search parameters")
        return replace(base, interaction=interaction)
    first = rest[0]
    if first == "_search" and len(rest) == 1 and method == "POST":
        return replace(base, interaction=Interaction.SEARCH)
    if first == "_history" and len(rest) == 1 and method == "GET":
        return replace(base, interaction=Interaction.HISTORY_TYPE)
    if _OPERATION.fullmatch(first) and len(rest) == 1 and method in ("GET", "POST"):
        return replace(base, interaction=Interaction.OPERATION, operation=first)
    if not _ID.fullmatch(first):
        raise RequestError("not a FHIR resource id")
    return _instance(replace(base, level=Level.INSTANCE, resource_id=first), rest[1:])


def _instance(base: FhirRequest, rest: tuple[str, ...]) -> FhirRequest:
    method = base.method
    if not rest:
        interaction = _INSTANCE_LEVEL.get(method)
        if interaction is None:
            raise RequestError(f"{method} is not allowed on a resource")
        return replace(base, interaction=interaction)
    second = rest[0]
    if second == "_history" and method == "GET":
        if len(rest) == 1:
            return replace(base, interaction=Interaction.HISTORY_INSTANCE)
        if len(rest) == 2 and _ID.fullmatch(rest[1]):
            return replace(base, interaction=Interaction.VREAD, version_id=rest[1])
    if _OPERATION.fullmatch(second) and len(rest) == 1 and method in ("GET", "POST"):
        return replace(base, interaction=Interaction.OPERATION, operation=second)
    compartment_type = second == "*" or _TYPE.fullmatch(second)
    searched = (method in ("GET", "HEAD") and len(rest) == 1) or (
        method == "POST" and rest[1:] == ("_search",))
    if base.resource_type == "Patient" and compartment_type and searched:
        return replace(
            base,
            level=Level.TYPE,
            interaction=Interaction.SEARCH,
            resource_type=second,
            resource_id=None,
            compartment=("Patient", str(base.resource_id)),
        )
    raise RequestError("not a FHIR interaction")
