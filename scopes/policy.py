"""``decide(grant, request)``: may this grant make this FHIR call?  Deny by default.

This is the type-and-interaction gate (SMART App Launch 2.2,
scopes-and-launch-context.html, "Scopes for requesting FHIR Resources"): the
grant must hold a scope of a usable context whose type (or ``*``) and permission
letter cover the interaction.  A context is usable only with its launch context:
``patient/`` scopes need a patient in context, ``user/`` scopes a ``fhirUser``.

Until compartment narrowing and granular filtering are applied to requests and
answers, access that a scope opens only through ``?param=`` filters is refused
(fail closed), and so are operations, batches and system-wide searches, which
no rule here proves safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from scopes.decision import Decision, Reason, allow, deny
from scopes.grammar import Context
from scopes.request import FhirRequest, Special
from scopes.scopeset import ScopeSet


@dataclass(frozen=True)
class GrantContext:
    """The parts of a grant the policy reads (no I/O types)."""

    scopes: ScopeSet
    patient: str | None = None
    fhir_user: str | None = None

    @property
    def usable_contexts(self) -> frozenset[Context]:
        usable: set[Context] = {"system"}
        if self.patient:
            usable.add("patient")
        if self.fhir_user:
            usable.add("user")
        return frozenset(usable)


def decide(grant: GrantContext, request: FhirRequest) -> Decision:
    if request.special is Special.CAPABILITIES:
        return allow(Reason.PUBLIC)
    if request.special is not None:
        return deny(Reason.UNSUPPORTED, f"{request.special.value} is not available to apps")
    interaction = request.interaction
    if interaction is None or interaction.letter is None:
        return deny(Reason.UNSUPPORTED, f"the operation {request.operation} is not available")
    rtype = str(request.resource_type)
    contexts = grant.usable_contexts
    if not grant.scopes.permits(rtype, interaction.letter, contexts):
        if grant.scopes.permits(rtype, interaction.letter):
            return deny(Reason.NO_CONTEXT, "the scope needs a launch context this token lacks")
        return deny(Reason.INSUFFICIENT_SCOPE, f"no scope grants {interaction.value} on {rtype}")
    if not grant.scopes.filters_for(rtype, interaction.letter, contexts).unrestricted:
        return deny(Reason.INSUFFICIENT_SCOPE, f"only filtered access to {rtype} is granted")
    return allow()
