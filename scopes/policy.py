"""``decide(grant, request, now)``: may this grant make this FHIR call, and how?  Deny by default.

SMART App Launch 2.2 (scopes-and-launch-context.html, "Scopes for requesting FHIR
Resources"): the grant must hold a scope of a usable context whose type (or ``*``) and
permission letter cover the interaction; ``patient/`` scopes need a patient in context,
``user/`` scopes a ``fhirUser`` (``scopes.access``).  Then, by interaction:

- searches, reads and histories: ``scopes.searches`` (narrowing, granular filters,
  post-checks, 404 for another patient's ``Patient``);
- writes: ``scopes.writes`` (body rule, stored read, conditional narrowing, no FHIRPath
  Patch, no Patient create/delete under a ``patient/`` scope);
- operations: ``scopes.operations`` (an allow-list);
- batch and transaction Bundles: entry by entry, ``scopes.bundle_requests.decide_bundle``;
  the Bundle request itself is not decided here.

The signed-in user's own ``fhirUser`` resource (``Patient/me`` while acting for a child,
``RelatedPerson/...``) is readable with a scope granting read on its type, whatever patient
is in context (conformance 107, 131).  System-wide search and history are refused: no rule
narrows them to a grant.  The answer is
a ``Decision`` value (``scopes.decision``); nothing here reads a clock or does I/O.
"""

from __future__ import annotations

from scopes.access import (
    DEFAULT_SHARED_TYPES,
    GrantContext,
    own_identity_access,
    resolve_access,
)
from scopes.decision import Decision, Reason, RequestMutation, allow, deny
from scopes.interaction import Interaction
from scopes.operations import decide_operation
from scopes.references import reference_key
from scopes.request import FhirRequest, Special
from scopes.searches import decide_read, decide_search, decide_type_history
from scopes.writes import decide_write, narrow_conditional

__all__ = ["DEFAULT_SHARED_TYPES", "GrantContext", "decide", "narrow_conditional"]

_READS = (Interaction.READ, Interaction.VREAD, Interaction.HISTORY_INSTANCE)
_OWN_READS = (Interaction.READ, Interaction.VREAD)


def decide(grant: GrantContext, request: FhirRequest, now: float | None = None) -> Decision:
    """The decision for one call.  ``now`` (epoch seconds) is reserved for time rules."""
    del now  # no rule depends on time yet; token expiry is checked before decide()
    if request.special is Special.CAPABILITIES:
        return allow(Reason.PUBLIC, mutations=RequestMutation(params=request.params))
    if request.special is Special.BUNDLE:
        return deny(Reason.UNSUPPORTED, "a batch or transaction is decided entry by entry")
    if request.special is not None:
        return deny(Reason.UNSUPPORTED, f"{request.special.value} is not available to apps")
    interaction = request.interaction
    if interaction is Interaction.OPERATION:
        return decide_operation(grant, request)
    if interaction is None or interaction.letter is None:
        return deny(Reason.UNSUPPORTED, "not a FHIR interaction")
    if interaction.is_write:
        return decide_write(grant, request)
    if interaction in _OWN_READS and _is_fhir_user(grant, request):
        access = own_identity_access(grant, str(request.resource_type))
    else:
        access = resolve_access(grant, str(request.resource_type), interaction.letter)
    if isinstance(access, Decision):
        return access
    if interaction is Interaction.SEARCH:
        return decide_search(request, access)
    if interaction is Interaction.HISTORY_TYPE:
        return decide_type_history(request, access)
    if interaction in _READS:
        return decide_read(request, access)
    return deny(Reason.UNSUPPORTED, f"{interaction.value} is not available")


def _is_fhir_user(grant: GrantContext, request: FhirRequest) -> bool:
    """Whether the call reads the signed-in user's own ``fhirUser`` resource."""
    own = reference_key(grant.fhir_user) if grant.fhir_user else None
    return own is not None and own == (request.resource_type, request.resource_id)
