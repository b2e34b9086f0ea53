"""Scope negotiation: which of the requested scopes an authorization may grant.

Used at ``/authorize`` (request ∩ the app's registered ceiling), at ``client_credentials``
(request ∩ the pre-authorized ``system/`` scopes) and at refresh (request ⊆ the original grant).

Sources:

- SMART App Launch 2.2.0, scopes-and-launch-context.html: malformed or unknown scopes "MAY be
  ignored, replaced with server default scopes, or rejected"; the granted scopes may differ
  from the requested ones; "Scope Equivalence" (union; v1 ``read`` ≡ v2 ``rs``).
- app-launch.html, "Refresh access token": a refresh ``scope`` must be a subset of the scopes
  originally granted.
- RFC 6749 §3.3: the server may grant fewer scopes than requested and says so in ``scope``.

Rules.  A requested resource scope is granted iff it parses and every permission letter it asks
for is given, in the same context, by some ceiling scope on the same type or ``*`` whose
filters are either absent or set-equal to the requested ones (a filtered request fits under an
unfiltered ceiling; an unfiltered request never fits under a filtered ceiling).  Letters may
come from different ceiling scopes: ``Observation.rs`` fits under ``Observation.r
Observation.s``.  A special scope is granted iff the ceiling holds it.

SECURITY: granted strings are the request's tokens exactly as sent: never re-encoded, never
converted between v1 and v2 (Inferno compares returned granular scopes literally).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scopes.errors import ScopeSyntaxError
from scopes.grammar import ResourceScope, Scope, SpecialScope, parse_scope
from scopes.scopeset import ScopeSet

NOT_ALLOWED = "not allowed for this app"
NOT_IN_ORIGINAL_GRANT = "not in the original grant"
MALFORMED = "malformed: "


@dataclass(frozen=True)
class Negotiation:
    """The outcome: granted tokens (literal, request order) and dropped ones with a reason."""

    granted: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...]

    @property
    def scope(self) -> str:
        """The ``scope`` value for the token response: the granted tokens joined by spaces."""
        return " ".join(self.granted)

    @property
    def nothing_granted(self) -> bool:
        """True when the caller must answer ``invalid_scope`` (nothing grantable remains)."""
        return not self.granted


def negotiate(requested: str, ceiling: Iterable[str], *, refusal: str = NOT_ALLOWED) -> Negotiation:
    """Grant the requested scopes that ``ceiling`` covers; report every other token.

    ``requested`` is the space-separated ``scope`` parameter (form-decoded already, so ``+``
    is a space).  ``ceiling`` holds trusted scope strings (the registry's or a grant's);
    a malformed ceiling entry raises ``ScopeSyntaxError`` rather than being skipped silently.
    Duplicates (equal after parsing) are granted once, as first written.
    """
    limit = ScopeSet.from_strings(ceiling)
    granted: dict[Scope, str] = {}
    dropped: dict[str, str] = {}
    for token in requested.split(" "):
        if not token or token in dropped:
            continue
        try:
            scope = parse_scope(token)
        except ScopeSyntaxError as error:
            dropped[token] = MALFORMED + str(error)
            continue
        if scope in granted:
            continue
        if covers(limit, scope):
            granted[scope] = token
        else:
            dropped[token] = refusal
    return Negotiation(tuple(granted.values()), tuple(dropped.items()))


def narrow(original_granted: Iterable[str], requested: str) -> Negotiation:
    """Refresh with a ``scope`` parameter: keep only what the original grant already covers.

    The same coverage rule as ``negotiate`` with the original grant as the ceiling, so a
    refresh can never widen a grant; ``Observation.r Observation.s`` may be re-requested as
    ``Observation.rs`` and a v1 grant as its v2 equivalent.
    """
    return negotiate(requested, original_granted, refusal=NOT_IN_ORIGINAL_GRANT)


def covers(ceiling: ScopeSet, scope: Scope) -> bool:
    """Whether ``ceiling`` gives everything ``scope`` asks for (see the module rules)."""
    if isinstance(scope, SpecialScope):
        return ceiling.has(scope.name)
    return all(_letter_covered(ceiling, scope, letter) for letter in scope.permissions)


def _letter_covered(ceiling: ScopeSet, scope: ResourceScope, letter: str) -> bool:
    return any(
        not candidate.filters or candidate.filter_set == scope.filter_set
        for candidate in ceiling.covering(scope.resource_type, letter, (scope.context,))
    )
