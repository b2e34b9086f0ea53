"""The SMART scope grammar: one scope string in, one typed ``Scope`` out.

Source: SMART App Launch 2.2.0, "Scopes and Launch Context"
(https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html):

- "FHIR Resource Scope Syntax": ``(patient|user|system) "/" (Type | "*") "." perms``, where the
  SMART 2 ``perms`` are a non-empty, in-order subset of ``cruds`` and the SMART 1 ones are
  ``read``, ``write`` or ``*`` (read ⇒ rs, write ⇒ cud, * ⇒ cruds; "Scope Equivalence").
- "Finer-grained resource constraints using search parameters": a SMART 2 scope may end in
  ``?param=value(&param=value)*`` (see ``scopes.granular``).
- "Scopes for requesting context data" / "... identity data" / "... a refresh token": the
  non-resource scopes ``openid fhirUser profile launch launch/patient launch/encounter
  offline_access online_access``.

The grammar is strict and never rewrites: a scope parses only if ``format()`` gives back the
exact text, so a granted scope can always be returned literally (Inferno compares granted
granular scopes as raw strings).  Anything else raises ``ScopeSyntaxError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias, get_args

from scopes.errors import ScopeSyntaxError
from scopes.granular import Filters, format_filters, parse_filters

Context: TypeAlias = Literal["patient", "user", "system"]
Version: TypeAlias = Literal[1, 2]

CONTEXTS: tuple[Context, ...] = get_args(Context)
PERMISSION_LETTERS = "cruds"
WILDCARD = "*"
MAX_SCOPE_LENGTH = 1024

# SMART 1 permission words and their SMART 2 equivalents ("Scope Equivalence").
V1_PERMISSIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    "read": frozenset("rs"),
    "write": frozenset("cud"),
    "*": frozenset(PERMISSION_LETTERS),
})
SPECIAL_SCOPES = frozenset({
    "openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter",
    "offline_access", "online_access",
})

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")
_V2_PERMISSIONS = re.compile(r"c?r?u?d?s?")


@dataclass(frozen=True)
class SpecialScope:
    """A non-resource scope (identity, launch context or refresh token), e.g. ``openid``."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in SPECIAL_SCOPES:
            raise ScopeSyntaxError(f"unknown scope {self.name!r}")

    def format(self) -> str:
        return self.name


@dataclass(frozen=True)
class ResourceScope:
    """A FHIR resource scope such as ``patient/Observation.rs?category=...|laboratory``.

    ``permissions`` are always SMART 2 letters (a v1 ``.read`` holds ``{"r", "s"}``); ``version``
    remembers which syntax was written so ``format()`` reproduces it.  ``filters`` keep the order
    they were written in, but two scopes whose filters differ only in order are equal.
    """

    context: Context
    resource_type: str
    permissions: frozenset[str]
    filters: Filters = field(default=(), compare=False)
    version: Version = 2
    raw: str = field(default="", compare=False)
    filter_set: frozenset[tuple[str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", frozenset(self.permissions))
        object.__setattr__(self, "filters", tuple(self.filters))
        object.__setattr__(self, "filter_set", frozenset(self.filters))
        if self.version not in (1, 2):
            raise ScopeSyntaxError(f"unknown scope syntax version {self.version!r}")
        if self.context not in CONTEXTS:
            raise ScopeSyntaxError(f"unknown scope context {self.context!r}")
        if self.resource_type != WILDCARD and not _RESOURCE_TYPE.fullmatch(self.resource_type):
            raise ScopeSyntaxError(f"{self.resource_type!r} is not a FHIR resource type or '*'")
        if not self.permissions or not self.permissions <= frozenset(PERMISSION_LETTERS):
            raise ScopeSyntaxError(f"invalid permissions {sorted(self.permissions)!r}")
        if self.version == 1 and self.permissions not in V1_PERMISSIONS.values():
            raise ScopeSyntaxError("SMART v1 permissions are read, write or *")
        if self.filters:
            if self.version == 1:
                raise ScopeSyntaxError("granular ?param= filters need SMART v2 permissions")
            if self.resource_type == WILDCARD:
                raise ScopeSyntaxError("granular ?param= filters are not supported on '*'")
            if parse_filters(format_filters(self.filters)[1:]) != self.filters:
                raise ScopeSyntaxError(f"malformed granular filters {self.filters!r}")
        text = self.format()
        if self.raw and self.raw != text:
            raise ScopeSyntaxError(f"raw text {self.raw!r} does not match {text!r}")
        object.__setattr__(self, "raw", text)

    @property
    def permission_text(self) -> str:
        """The permissions as written: ``rs`` (v2, in ``cruds`` order) or ``read`` (v1)."""
        if self.version == 1:
            return next(word for word, letters in V1_PERMISSIONS.items()
                        if letters == self.permissions)
        return "".join(letter for letter in PERMISSION_LETTERS if letter in self.permissions)

    @property
    def is_wildcard(self) -> bool:
        return self.resource_type == WILDCARD

    def format(self) -> str:
        base = f"{self.context}/{self.resource_type}.{self.permission_text}"
        return base + format_filters(self.filters)

    def as_v2(self) -> ResourceScope:
        """The SMART 2 equivalent: ``.read`` → ``.rs``, ``.write`` → ``.cud``, ``.*`` → ``.cruds``.

        ("Scope Equivalence"; the filters and context are kept.)
        """
        return ResourceScope(self.context, self.resource_type, self.permissions, self.filters)

    def with_filters(self, filters: Filters) -> ResourceScope:
        """This scope (as SMART 2) narrowed by granular ``filters``, e.g. a consent sub-choice."""
        return ResourceScope(self.context, self.resource_type, self.permissions, filters)


Scope: TypeAlias = ResourceScope | SpecialScope


def parse_scope(text: str) -> Scope:
    """Parse one scope token; raise ``ScopeSyntaxError`` saying what is wrong with it."""
    if not text:
        raise ScopeSyntaxError("empty scope")
    if len(text) > MAX_SCOPE_LENGTH:
        raise ScopeSyntaxError(f"scope longer than {MAX_SCOPE_LENGTH} characters")
    if not _SCOPE_TOKEN.fullmatch(text):
        bad = next(ch for ch in text if not _SCOPE_TOKEN.fullmatch(ch))
        raise ScopeSyntaxError(
            f"character {bad!r} (U+{ord(bad):04X}) is not allowed in a scope (RFC 6749 §3.3)")
    if text in SPECIAL_SCOPES:
        return SpecialScope(text)
    head, slash, rest = text.partition("/")
    if not slash:
        raise ScopeSyntaxError(f"unknown scope {text!r}")
    if head == "launch":
        raise ScopeSyntaxError(
            f"unsupported launch context scope {text!r}; use launch/patient or launch/encounter")
    if head not in CONTEXTS:
        raise ScopeSyntaxError(
            f"scope context {head!r} must be one of patient, user, system (case-sensitive)")
    return _parse_resource_scope(head, rest, text)


def _parse_resource_scope(context: Context, rest: str, text: str) -> ResourceScope:
    if "#" in rest:
        raise ScopeSyntaxError("'#' is not allowed in a scope")
    target, question, query = rest.partition("?")
    resource_type, dot, permission_text = target.partition(".")
    if not dot:
        raise ScopeSyntaxError(f"{text!r} has no '.permissions' part")
    if resource_type != WILDCARD and not _RESOURCE_TYPE.fullmatch(resource_type):
        raise ScopeSyntaxError(
            f"{resource_type!r} is not a FHIR resource type name (e.g. Observation) or '*'")
    permissions, version = _parse_permissions(permission_text)
    filters = parse_filters(query) if question else ()
    return ResourceScope(context, resource_type, permissions, filters, version, text)


def _parse_permissions(text: str) -> tuple[frozenset[str], Version]:
    if text in V1_PERMISSIONS:
        return V1_PERMISSIONS[text], 1
    if not text:
        raise ScopeSyntaxError("no permissions after '.'")
    unknown = sorted(set(text) - set(PERMISSION_LETTERS))
    if unknown:
        raise ScopeSyntaxError(
            f"permissions {text!r}: {''.join(unknown)!r} is not one of c, r, u, d, s "
            "(SMART v1 allows only read, write or *)")
    if len(set(text)) != len(text):
        raise ScopeSyntaxError(f"permissions {text!r} repeat a letter")
    if not _V2_PERMISSIONS.fullmatch(text):
        raise ScopeSyntaxError(f"permissions {text!r} are not in the order c, r, u, d, s")
    return frozenset(text), 2


@dataclass(frozen=True)
class ParsedScopes:
    """A space-separated ``scope`` parameter: the valid scopes and the rejected tokens."""

    scopes: tuple[Scope, ...]
    rejected: tuple[tuple[str, str], ...]


def parse_scope_string(text: str) -> ParsedScopes:
    """Split a ``scope`` parameter on ASCII spaces and parse each token; never raise.

    RFC 6749 §3.3: ``scope = scope-token *( SP scope-token )``.  Runs of spaces and leading or
    trailing spaces are tolerated; any other whitespace stays inside its token and makes it
    malformed.  Valid scopes are de-duplicated (first one wins) and keep request order; each
    malformed token is reported once with the reason.
    """
    scopes: dict[Scope, None] = {}
    rejected: dict[str, str] = {}
    for token in text.split(" "):
        if not token or token in rejected:
            continue
        try:
            scopes.setdefault(parse_scope(token), None)
        except ScopeSyntaxError as error:
            rejected[token] = str(error)
    return ParsedScopes(tuple(scopes), tuple(rejected.items()))
