"""A FHIR interaction independent of HTTP: the call, its route, its result.

The same :class:`FhirCall` comes from an aiohttp request or from a batch/transaction entry
(http://hl7.org/fhir/R4/http.html#transaction: "each entry is processed as if it were an
individual interaction").  Routes follow the URL patterns of http.html#summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .outcome import FhirError, invalid
from .resource_types import RESOURCE_TYPES, is_valid_id
from .store import Payload, Version, render

Json = dict[str, Any]


class Kind(Enum):
    SYSTEM = "system"  # [base]
    CAPABILITY = "capability"  # [base]/metadata
    SYSTEM_HISTORY = "system-history"  # [base]/_history
    TYPE = "type"  # [base]/Type
    TYPE_SEARCH = "type-search"  # [base]/Type/_search
    TYPE_HISTORY = "type-history"  # [base]/Type/_history
    INSTANCE = "instance"  # [base]/Type/id
    INSTANCE_HISTORY = "instance-history"  # [base]/Type/id/_history
    VERSION = "version"  # [base]/Type/id/_history/vid
    COMPARTMENT = "compartment"  # [base]/Patient/id/Type  (or *)
    OPERATION = "operation"  # [base]/Type/id/$op


@dataclass(frozen=True, slots=True)
class Route:
    kind: Kind
    resource_type: str | None = None
    id: str | None = None
    version_id: int | None = None
    target: str | None = None  # compartment type or operation name


@dataclass(frozen=True, slots=True)
class RawBinary:
    """A Binary sent as its own bytes (non-FHIR Content-Type), binary.html#rest."""

    content_type: str
    data: Payload
    security_context: str | None = None


@dataclass(frozen=True)
class FhirCall:
    method: str
    path: str
    base: str
    params: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: Any = None
    raw: RawBinary | None = None
    assigned_id: str | None = None  # a transaction's pre-allocated id for a create

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def prefer(self) -> dict[str, str]:
        """``Prefer`` tokens (RFC 7240) such as ``return`` and ``handling``."""
        prefs: dict[str, str] = {}
        for part in (self.header("prefer") or "").replace(";", ",").split(","):
            key, _, value = part.strip().partition("=")
            if key:
                prefs[key.lower()] = value.strip().strip('"')
        return prefs

    @property
    def lenient(self) -> bool:
        return self.prefer.get("handling") == "lenient"

    @property
    def url(self) -> str:
        return f"{self.base}/{self.path}" if self.path else self.base


@dataclass
class FhirResult:
    status: int
    resource: Json | None = None
    headers: dict[str, str] = field(default_factory=dict)
    version: Version | None = None  # the version read or written
    location: str | None = None  # relative: Type/id/_history/vid
    binary: bool = False  # a Binary read: the HTTP layer may send the raw bytes

    def body(self) -> Json | None:
        """The resource to send as JSON (a Binary read is rendered with base64 data)."""
        if self.resource is None and self.binary and self.version is not None:
            return render(self.version)
        return self.resource


def parse_route(path: str) -> Route:
    parts = [p for p in path.strip("/").split("/") if p] if path.strip("/") else []
    if not parts:
        return Route(Kind.SYSTEM)
    head = parts[0]
    if len(parts) == 1 and head == "metadata":
        return Route(Kind.CAPABILITY)
    if len(parts) == 1 and head == "_history":
        return Route(Kind.SYSTEM_HISTORY)
    if head.startswith("$"):
        raise invalid(f"Operation {head} is not supported")
    if head not in RESOURCE_TYPES:
        raise FhirError(404, f"Unknown resource type {head!r}", code="not-supported")
    if len(parts) == 1:
        return Route(Kind.TYPE, head)
    second = parts[1]
    if len(parts) == 2 and second == "_search":
        return Route(Kind.TYPE_SEARCH, head)
    if len(parts) == 2 and second == "_history":
        return Route(Kind.TYPE_HISTORY, head)
    if second.startswith("$"):
        raise invalid(f"Operation {second} is not supported on {head}")
    if not is_valid_id(second):
        raise invalid(f"Invalid resource id {second!r}")
    if len(parts) == 2:
        return Route(Kind.INSTANCE, head, second)
    third = parts[2]
    if third == "_history" and len(parts) == 3:
        return Route(Kind.INSTANCE_HISTORY, head, second)
    if third == "_history" and len(parts) == 4:
        if not parts[3].isdigit():
            raise FhirError(404, f"Version {parts[3]!r} of {head}/{second} is not known")
        return Route(Kind.VERSION, head, second, int(parts[3]))
    if len(parts) == 3 and third.startswith("$"):
        return Route(Kind.OPERATION, head, second, target=third)
    if len(parts) == 3 and head == "Patient" and (third in RESOURCE_TYPES or third == "*"):
        return Route(Kind.COMPARTMENT, head, second, target=third)
    raise FhirError(404, f"No FHIR interaction at {path!r}", code="not-supported")
