"""Operations: an explicit allow-list; everything else is refused (400).

Peer-gateways (c) 8 and conformance 139: operations have no permission letter of their
own and are a classic scope bypass, so each allowed one has a rule:

- ``GET Patient/X/$everything``: needs ``Patient`` read; under a ``patient/`` scope X must
  be the patient (else ``404``, as for a read).  The output is the compartment, which no
  query can narrow by type or category, so every resource is post-checked ("search" on its
  type, that type's granular filters, the compartment) and totals are stripped.  POST
  (parameters in a body the policy does not read) is refused.
- ``GET Observation/$lastn``: takes Observation search parameters plus ``max``, so it is
  narrowed and filtered exactly like ``Observation?...`` (needs ``Observation`` search).
- ``$graphql`` (any level) is refused: one query can traverse any reference.
- Everything else (``$export``, ``$validate``, ``$meta``, custom ones) is refused.
"""

from __future__ import annotations

from scopes.access import GrantContext, resolve_access
from scopes.decision import (
    Decision,
    Mismatch,
    PostChecks,
    Reason,
    RequestMutation,
    allow,
    deny,
    not_found,
)
from scopes.refusals import ParamKind, refusal
from scopes.request import FhirRequest, Level
from scopes.searches import decide_search


def decide_operation(grant: GrantContext, request: FhirRequest) -> Decision:
    operation = str(request.operation)
    rtype = request.resource_type
    if operation == "$graphql":
        return deny(Reason.UNSUPPORTED, "GraphQL is not available")
    if operation == "$everything" and rtype == "Patient" and request.level is Level.INSTANCE:
        return _everything(grant, request)
    if operation == "$lastn" and rtype == "Observation" and request.level is Level.TYPE:
        if request.method not in ("GET", "HEAD"):
            return deny(Reason.UNSUPPORTED, "send $lastn as GET")
        access = resolve_access(grant, "Observation", "s")
        return access if isinstance(access, Decision) else decide_search(request, access)
    return deny(Reason.UNSUPPORTED, f"the operation {operation[:64]} is not available")


def _everything(grant: GrantContext, request: FhirRequest) -> Decision:
    if request.method not in ("GET", "HEAD"):
        return deny(Reason.UNSUPPORTED, "send $everything as GET")
    access = resolve_access(grant, "Patient", "r")
    if isinstance(access, Decision):
        return access
    why = refusal(request.params, ParamKind.EVERYTHING)
    if why:
        return deny(Reason.REFUSED_PARAMETER, why)
    if access.patient is not None and request.resource_id != access.patient:
        return not_found()
    post = PostChecks(
        confine_to_patient=access.patient,
        granular=None,
        letter="s",
        strip_total=True,
        on_mismatch=Mismatch.DROP,
    )
    return allow(mutations=RequestMutation(params=request.params), post_checks=post)
