"""``build_check``: the per-resource predicate the post-filter applies to an upstream answer.

A resource passes when all of these hold (deny by default):

1. type permission: some usable scope grants ``letter`` (``r`` for reads, ``s`` for search
   results) on its ``resourceType`` (``ScopeSet.permits``);
2. labels: its ``meta.security`` carries no withheld label (``scopes.labels``);
3. granular filters: it matches one alternative of the ``FilterUnion`` of the scopes that
   grant the type (``scopes.granular_match``);
4. membership (``scopes.membership``), only for access opened by ``patient/`` scopes.

Access is the union over contexts, computed separately because only ``patient/`` access is
confined: a resource passes if the ``user/``/``system/`` scopes open it, or if the
``patient/`` scopes open it *and* it is in the patient's world.  ``patient/`` scopes without
a patient in context open nothing.

Contained resources (``PostCheck.contained``) need 1, 2 and, under confinement, "references
no other patient", but not 3 (a contained resource cannot be searched, so a search filter
says nothing about it) and not "references the patient" (it usually has no subject: its
parent has).  The per-type part (1, the filter unions) is computed once per resourceType.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from scopes.compartment import PATIENT_COMPARTMENT
from scopes.grammar import Context
from scopes.granular_match import matches
from scopes.labels import normalise_labels, withheld
from scopes.membership import (
    DEFAULT_SHARED_TYPES,
    EXCLUDED_TYPES,
    PATIENT_BOUND_TYPES,
    names_other_patient,
    visible,
)
from scopes.patient_refs import PatientRefs, patient_references, patient_references_batch
from scopes.scopeset import FilterUnion, ScopeSet

_CACHE_LIMIT = 256  # resource types; the answer comes from the upstream, but stay bounded
_UNCONFINED: frozenset[Context] = frozenset({"user", "system"})


@dataclass(frozen=True, slots=True)
class _TypeRule:
    open: FilterUnion | None  # user/ and system/ access; None: none
    confined: FilterUnion | None  # patient/ access (membership applies); None: none
    permitted: bool = field(init=False)
    needs_refs: bool = False  # membership will read the Patient references

    def __post_init__(self) -> None:
        object.__setattr__(self, "permitted", self.open is not None or self.confined is not None)


class PostCheck:
    """Callable ``check(resource) -> bool`` for ``filter_answer``; ``.contained`` for
    ``contained_check``."""

    def __init__(
        self, scopes: ScopeSet, patient: str | None, contexts: Iterable[Context] | None,
        withheld_labels: Collection[str], letter: str, shared_types: Collection[str],
    ) -> None:
        if letter not in ("r", "s"):
            raise ValueError(f"post-checks are for reads and searches, not {letter!r}")
        usable = frozenset(contexts) if contexts is not None else _UNCONFINED | {"patient"}
        self._scopes = scopes
        self._patient = patient
        self._open_contexts = usable & _UNCONFINED
        self._confined = "patient" in usable and patient is not None
        self._labels = normalise_labels(withheld_labels)
        self._letter = letter
        self._shared_types = frozenset(shared_types)
        self._rules: dict[object, _TypeRule] = {}
        self._prepared: dict[int, tuple[dict[str, Any], PatientRefs | None]] = {}

    def __call__(self, resource: dict[str, Any]) -> bool:
        resource_type = resource.get("resourceType")
        rule = self._rules.get(resource_type) or self._rule(resource_type)
        if not rule.permitted:
            return False
        if self._labels and "meta" in resource and withheld(resource, self._labels):
            return False
        if rule.open is not None and matches(resource, rule.open):
            return True
        confined = rule.confined
        if confined is None or not (confined.unrestricted or matches(resource, confined)):
            return False
        refs = None
        prepared = self._prepared.get(id(resource))
        if prepared is not None and prepared[0] is resource:
            refs = prepared[1]
            if refs is None:
                return False  # names another patient (``names_other_patient``)
        return visible(
            resource, patient=self._patient, shared_types=self._shared_types, refs=refs,
        ).visible

    def prepare(self, resources: list[dict[str, Any]]) -> None:
        """Read the Patient references of a batch (a Bundle's entries) in one pass.

        Optional speed-up used by ``filter_answer``; ``__call__`` gives the same answers
        without it.  A resource whose ``subject``/``patient`` names another patient is not
        read further: it is marked (``None``) as failing membership.  Entries are keyed by
        ``id()`` and hold the resource itself, so an id is never reused while its entry
        exists; ``release`` drops them.
        """
        if not self._confined:
            return
        patient, prepared, rule = str(self._patient), self._prepared, self._rule
        batch = []
        for resource in resources:
            if not rule(resource.get("resourceType")).needs_refs:
                continue
            if names_other_patient(resource, patient):
                prepared[id(resource)] = (resource, None)
            else:
                batch.append(resource)
        for resource, refs in zip(batch, patient_references_batch(batch), strict=True):
            prepared[id(resource)] = (resource, refs)

    def release(self) -> None:
        self._prepared.clear()

    def contained(self, resource: dict[str, Any]) -> bool:
        rule = self._rule(resource.get("resourceType"))
        if not rule.permitted or self._labels and withheld(resource, self._labels):
            return False
        if rule.open is not None:
            return True
        if resource.get("resourceType") == "Patient":
            return False  # a contained Patient is never the server's Patient/P
        return patient_references(resource).none_but(str(self._patient))

    def _rule(self, resource_type: object) -> _TypeRule:
        rule = self._rules.get(resource_type)
        if rule is None:
            rule = self._compute(resource_type)
            if len(self._rules) < _CACHE_LIMIT:
                self._rules[resource_type] = rule
        return rule

    def _compute(self, resource_type: object) -> _TypeRule:
        if not isinstance(resource_type, str) or not resource_type or resource_type == "*":
            return _TypeRule(None, None)
        open_ = self._union(resource_type, self._open_contexts)
        confined = self._union(resource_type, {"patient"}) if self._confined else None
        needs_refs = (
            confined is not None and not (open_ is not None and open_.unrestricted)
            and (resource_type in PATIENT_COMPARTMENT or resource_type in self._shared_types
                 or resource_type in PATIENT_BOUND_TYPES)
            and resource_type not in EXCLUDED_TYPES and resource_type != "Patient")
        return _TypeRule(open_, confined, needs_refs)

    def _union(self, resource_type: str, contexts: Collection[Context]) -> FilterUnion | None:
        if not contexts:
            return None
        union = self._scopes.filters_for(resource_type, self._letter, contexts)
        return union if union.allows_any else None


def build_check(
    grant_scopes: ScopeSet, patient: str | None, contexts: Iterable[Context] | None,
    withheld_labels: Collection[str], letter: str = "r", *,
    shared_types: Collection[str] = DEFAULT_SHARED_TYPES,
) -> PostCheck:
    """The post-check for one grant and one kind of access (``letter``: ``r`` or ``s``).

    ``contexts``: the contexts the grant can use (``GrantContext.usable_contexts``; ``None``:
    all).  ``withheld_labels``: ``system|code`` security labels to withhold (``ValueError``
    if malformed); empty withholds nothing.
    """
    return PostCheck(grant_scopes, patient, contexts, withheld_labels, letter, shared_types)
