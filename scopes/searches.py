"""Decisions for calls that read data: searches, reads, vreads and histories.

Before the call (style principle 9; peer-gateways (c) 8, 19; conformance 130–139):

- a search of a compartment type under a ``patient/`` scope is narrowed to the patient
  (``scopes.narrowing``); ``Patient/X/T`` stays a compartment search, so upstream applies
  the CompartmentDefinition itself, and answers an empty searchset unless X is the patient;
- granular scopes add their combined filter (``scopes.filter_params``);
- reads cannot be narrowed: they are allowed with a post-check, and a resource failing it
  is answered ``404`` exactly like an absent one.  ``Patient/X`` for another patient is
  ``404`` at once, without calling upstream.

After the call every resource is checked (``PostChecks``), and ``Bundle.total`` is stripped
whenever a check could drop an entry (peer-gateways (c) 4); ``_elements`` and subsetting
``_summary`` values are dropped from the upstream query whenever a post-check must read
the resource, since a subset may lack the references the check needs (R4 search.html:
servers are not obliged to return only the requested elements).
"""

from __future__ import annotations

from scopes.access import Access
from scopes.decision import (
    Decision,
    Mismatch,
    Params,
    PostChecks,
    Reason,
    RequestMutation,
    allow,
    deny,
    empty_result,
    not_found,
)
from scopes.filter_params import narrow_to_filters
from scopes.grammar import WILDCARD
from scopes.interaction import Interaction
from scopes.narrowing import narrow_to_patient
from scopes.query import parse_key
from scopes.refusals import ParamKind, refusal
from scopes.request import FhirRequest

_SUBSETTING = frozenset({"true", "text", "data"})


def decide_search(request: FhirRequest, access: Access) -> Decision:
    """A type search, ``POST _search``, compartment search or ``$lastn``."""
    why = refusal(request.params, ParamKind.SEARCH)
    if why:
        return deny(Reason.REFUSED_PARAMETER, why)
    rtype = str(request.resource_type)
    params = request.params
    patient = access.patient
    compartment = request.compartment
    if patient is not None and compartment is not None and compartment[1] != patient:
        return empty_result("a compartment search of another patient matches nothing")
    if patient is not None and access.confined:
        narrowed = narrow_to_patient(rtype, params, patient, by_path=compartment is not None)
        if narrowed.empty:
            return empty_result("the search names another patient")
        params = narrowed.params
    if rtype != WILDCARD:
        filtered = narrow_to_filters(params, access.filters)
        if filtered.empty:
            return empty_result("the search asks for values outside the granted filters")
        params = filtered.params
    return _allowed(params, access, "s", Mismatch.DROP, strip=True)


def decide_type_history(request: FhirRequest, access: Access) -> Decision:
    """``T/_history``: no search parameter can narrow it to one patient, so a confined grant
    is refused (its pages, even filtered to nothing, would show every patient's activity);
    other grants get the post-checks."""
    why = refusal(request.params, ParamKind.HISTORY)
    if why:
        return deny(Reason.REFUSED_PARAMETER, why)
    if access.patient is not None and access.confined:
        return deny(Reason.UNSUPPORTED,
                    "type-level history cannot be limited to one patient; "
                    "read the history of each resource instead")
    return _allowed(request.params, access, "s", Mismatch.DROP, strip=True)


def decide_read(request: FhirRequest, access: Access) -> Decision:
    """Read, vread and instance history of one resource."""
    history = request.interaction is Interaction.HISTORY_INSTANCE
    why = refusal(request.params, ParamKind.HISTORY if history else ParamKind.READ)
    if why:
        return deny(Reason.REFUSED_PARAMETER, why)
    patient = access.patient
    if patient is not None and request.resource_type == "Patient" and request.resource_id != patient:
        return not_found()
    return _allowed(request.params, access, "r", Mismatch.NOT_FOUND, strip=history)


def _allowed(params: Params, access: Access, letter: str, mismatch: Mismatch, *,
             strip: bool) -> Decision:
    inspected = access.patient is not None or not access.filters.unrestricted
    post = PostChecks(
        confine_to_patient=access.patient,
        granular=None if access.filters.unrestricted else access.filters,
        letter=letter,
        strip_total=inspected and strip,
        on_mismatch=mismatch,
    )
    final = _without_subsetting(params) if inspected else params
    return allow(mutations=RequestMutation(params=final), post_checks=post)


def _without_subsetting(params: Params) -> Params:
    kept = []
    for raw, value in params:
        name = parse_key(raw).name
        if name == "_elements" or (name == "_summary" and value in _SUBSETTING):
            continue
        kept.append((raw, value))
    return tuple(kept)
