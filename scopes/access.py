"""Which scope context decides a call, and whether it confines the call to one patient.

SMART App Launch 2.2, scopes-and-launch-context.html: ``patient/`` scopes reach the
data of the patient in context, which here means the R4 Patient compartment
(``scopes.compartment``); ``user/`` and ``system/`` scopes reach what the user or the
client may, decided by type and interaction (conformance 130–132).  Types outside the
compartment that patient data references (Practitioner, Organization, Location,
Medication, ...) are readable with a matching ``patient/`` scope when the deployment
shares them (peer-gateways (c) 23; conformance 131); a ``Binary`` is readable
(not searchable) when what speaks for it is (``scopes.binary_context``); nothing else
outside the compartment is reachable through a ``patient/`` scope.

When several contexts grant the same type, the broadest *unrestricted* one wins; else a
``patient/`` scope (confined to the compartment) wins over filtered ``user/``/``system/``
access.  A union of "patient P's" and "category lab for this user" cannot be one
upstream query, so the choice may under-serve, never over-serve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from scopes.compartment import PATIENT_COMPARTMENT
from scopes.decision import Decision, Reason, deny
from scopes.grammar import WILDCARD, Context
from scopes.membership import DEFAULT_SHARED_TYPES, PATIENT_BOUND_TYPES
from scopes.scopeset import UNRESTRICTED, FilterUnion, ScopeSet

# A Binary is read (never searched or written) under a patient/ scope only through what
# speaks for it: its securityContext or the patient's documents pointing at it
# (``scopes.binary_context``; the plumbing gathers them).  The post-check alone refuses it.
ATTACHMENT_TYPE = "Binary"
# R4 leaves Device out of the Patient compartment, but US Core searches it by ``patient``
# (Device.patient): under a patient/ scope it is confined like a compartment type.
EXTRA_COMPARTMENT: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: ("patient",) for name in PATIENT_BOUND_TYPES})


def compartment_params(resource_type: str) -> tuple[str, ...] | None:
    """The parameters that put ``resource_type`` in a patient's compartment, or ``None``."""
    return PATIENT_COMPARTMENT.get(resource_type) or EXTRA_COMPARTMENT.get(resource_type)


@dataclass(frozen=True)
class GrantContext:
    """The parts of a grant the policy reads (no I/O types)."""

    scopes: ScopeSet
    patient: str | None = None
    fhir_user: str | None = None
    shared_types: frozenset[str] = DEFAULT_SHARED_TYPES

    @property
    def usable_contexts(self) -> frozenset[Context]:
        usable: set[Context] = {"system"}
        if self.patient:
            usable.add("patient")
        if self.fhir_user:
            usable.add("user")
        return frozenset(usable)


@dataclass(frozen=True)
class Access:
    """How one grant reaches one type with one letter.

    ``patient``: a ``patient/`` scope decides; every answer is checked against this patient.
    ``confined``: the type is in the compartment, so requests are narrowed to the patient.
    ``filters``: the granular alternatives (``unrestricted`` when none apply).
    """

    patient: str | None
    confined: bool
    filters: FilterUnion


def resolve_access(grant: GrantContext, resource_type: str, letter: str) -> Access | Decision:
    """The access the grant gives, or the denial (403) when it gives none."""
    scopes = grant.scopes
    contexts = grant.usable_contexts
    broad = scopes.filters_for(resource_type, letter, contexts - {"patient"})
    if broad.unrestricted:
        return Access(None, False, UNRESTRICTED)
    if grant.patient and scopes.permits(resource_type, letter, ("patient",)):
        confined = resource_type == WILDCARD or compartment_params(resource_type) is not None
        shared = resource_type in grant.shared_types and letter in ("r", "s")
        if confined or shared or (resource_type == ATTACHMENT_TYPE and letter == "r"):
            filters = scopes.filters_for(resource_type, letter, ("patient",))
            return Access(grant.patient, confined, filters)
        if not broad.allows_any:
            return deny(Reason.INSUFFICIENT_SCOPE,
                        f"{resource_type} is outside the patient compartment")
    if broad.allows_any:
        return Access(None, False, broad)
    if scopes.permits(resource_type, letter):
        return deny(Reason.NO_CONTEXT, "the scope needs a launch context this token lacks")
    return deny(Reason.INSUFFICIENT_SCOPE, f"no scope grants {letter!r} on {resource_type}")


def own_identity_access(grant: GrantContext, resource_type: str) -> Access | Decision:
    """Read access to the signed-in user's own ``fhirUser`` resource (conformance 107, 131).

    Any usable scope granting read on its type suffices; the patient in context does not
    confine it (a parent acting for a child still reads their own Patient).
    """
    contexts = grant.usable_contexts
    if not grant.scopes.permits(resource_type, "r", contexts):
        return resolve_access(grant, resource_type, "r")
    return Access(None, False, grant.scopes.filters_for(resource_type, "r", contexts))
