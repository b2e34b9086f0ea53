"""A granted set of scopes and the questions the policy asks it.

Source: SMART App Launch 2.2.0, scopes-and-launch-context.html:

- "Scope Equivalence": scopes combine as a union; ``Observation.rs`` is the same grant as
  ``Observation.r Observation.s``.  ``r`` and ``s`` stay distinct: read without search and
  search without read are both possible grants.
- "Wildcard scopes": ``patient/*.rs`` covers every resource type, present and future.
- "Finer-grained resource constraints using search parameters": several granular scopes for one
  type are ORed; one unfiltered scope for the same type and letter makes the access unrestricted.

Every method here answers for one resource type and one permission letter.  ``permits`` says
whether *any* access exists; ``filters_for`` says *which* resources: a caller that gets
``permits() == True`` must still apply ``filters_for().alternatives`` unless ``unrestricted``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from scopes.grammar import (
    CONTEXTS,
    PERMISSION_LETTERS,
    SPECIAL_SCOPES,
    WILDCARD,
    Context,
    ResourceScope,
    Scope,
    SpecialScope,
    parse_scope,
)
from scopes.granular import Filter
from scopes.interaction import Interaction


@dataclass(frozen=True)
class FilterUnion:
    """The resources of one type a scope set opens for one letter.

    ``unrestricted``: an unfiltered scope applies, so every resource of the type is open.
    Otherwise a resource is open iff it matches *all* filters of *at least one* alternative.
    No alternatives and not unrestricted means no access at all.  Alternatives are kept in
    grant order; one that is stricter than another (a superset of its filters) is dropped
    because it adds nothing to the union.
    """

    unrestricted: bool
    alternatives: tuple[frozenset[Filter], ...] = ()

    @property
    def allows_any(self) -> bool:
        return self.unrestricted or bool(self.alternatives)


DENIED = FilterUnion(unrestricted=False)
UNRESTRICTED = FilterUnion(unrestricted=True)


class ScopeSet:
    """An immutable, de-duplicated collection of parsed scopes (order kept)."""

    def __init__(self, scopes: Iterable[Scope]) -> None:
        self._scopes: tuple[Scope, ...] = tuple(dict.fromkeys(scopes))
        self._resource_scopes = tuple(s for s in self._scopes if isinstance(s, ResourceScope))
        self._special_names = frozenset(s.name for s in self._scopes if isinstance(s, SpecialScope))

    @classmethod
    def from_strings(cls, tokens: Iterable[str]) -> ScopeSet:
        """Parse stored scope strings (e.g. a grant's); raise ``ScopeSyntaxError`` on a bad one."""
        return cls(parse_scope(token) for token in tokens)

    @staticmethod
    def shared(tokens: tuple[str, ...]) -> ScopeSet:
        """``from_strings`` parsed once per process: a ``ScopeSet`` is immutable, so one
        instance serves every request made with the same scope strings."""
        return _shared(tokens)

    @property
    def scopes(self) -> tuple[Scope, ...]:
        return self._scopes

    @property
    def resource_scopes(self) -> tuple[ResourceScope, ...]:
        return self._resource_scopes

    @property
    def special_names(self) -> frozenset[str]:
        return self._special_names

    @property
    def contexts(self) -> frozenset[Context]:
        """The contexts (``patient``, ``user``, ``system``) of the resource scopes present."""
        return frozenset(s.context for s in self._resource_scopes)

    def has(self, name: str) -> bool:
        """Whether the special scope ``name`` (``openid``, ``offline_access``, ...) is present."""
        if name not in SPECIAL_SCOPES:
            raise ValueError(f"{name!r} is not a special scope")
        return name in self._special_names

    def covering(
        self, resource_type: str, permission: str | Interaction,
        contexts: Iterable[Context] | None = None,
    ) -> tuple[ResourceScope, ...]:
        """The resource scopes that grant ``permission`` on ``resource_type`` (filtered or not).

        A scope on ``*`` covers every type.  Asking about ``"*"`` itself finds only ``*`` scopes.
        ``contexts=None`` accepts scopes of every context.
        """
        letter = _letter(permission)
        allowed = _contexts(contexts)
        return tuple(
            s for s in self._resource_scopes
            if s.context in allowed
            and s.resource_type in (resource_type, WILDCARD)
            and letter in s.permissions
        )

    def permits(
        self, resource_type: str, permission: str | Interaction,
        contexts: Iterable[Context] | None = None,
    ) -> bool:
        """Whether any access of kind ``permission`` to ``resource_type`` is granted.

        SECURITY: ``True`` may mean *filtered* access; apply ``filters_for`` as well.
        """
        return bool(self.covering(resource_type, permission, contexts))

    def filters_for(
        self, resource_type: str, permission: str | Interaction,
        contexts: Iterable[Context] | None = None,
    ) -> FilterUnion:
        """The union of the granular filters that open ``resource_type`` for ``permission``."""
        found: list[frozenset[Filter]] = []
        for scope in self.covering(resource_type, permission, contexts):
            if not scope.filters:
                return UNRESTRICTED
            if scope.filter_set not in found:
                found.append(scope.filter_set)
        kept = tuple(f for f in found if not any(other < f for other in found))
        return FilterUnion(unrestricted=False, alternatives=kept) if kept else DENIED

    def resource_types(
        self, permission: str | Interaction, contexts: Iterable[Context] | None = None,
    ) -> frozenset[str]:
        """The types (``*`` included as written) with some grant of ``permission``."""
        letter = _letter(permission)
        allowed = _contexts(contexts)
        return frozenset(
            s.resource_type for s in self._resource_scopes
            if s.context in allowed and letter in s.permissions
        )

    def __iter__(self) -> Iterator[Scope]:
        return iter(self._scopes)

    def __len__(self) -> int:
        return len(self._scopes)

    def __contains__(self, scope: object) -> bool:
        return scope in self._scopes

    def __repr__(self) -> str:
        return f"ScopeSet({' '.join(s.format() for s in self._scopes)!r})"


@lru_cache(maxsize=4096)
def _shared(tokens: tuple[str, ...]) -> ScopeSet:
    return ScopeSet.from_strings(tokens)


def _letter(permission: str | Interaction) -> str:
    if isinstance(permission, Interaction):
        if permission.letter is None:
            raise ValueError(f"{permission.value} has no fixed permission letter")
        return permission.letter
    if len(permission) != 1 or permission not in PERMISSION_LETTERS:
        raise ValueError(f"{permission!r} is not one of the permission letters c, r, u, d, s")
    return permission


def _contexts(contexts: Iterable[Context] | None) -> frozenset[str]:
    if contexts is None:
        return frozenset(CONTEXTS)
    chosen = frozenset(contexts)
    unknown = chosen - set(CONTEXTS)
    if unknown:
        raise ValueError(f"unknown scope contexts {sorted(unknown)!r}")
    return chosen
