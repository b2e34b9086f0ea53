"""Decisions for create, update, patch and delete, conditional forms included.

Design decision 5 and peer-gateways (c) 5, 6, 7, 9:

- under a ``patient/`` scope a ``Patient`` is never created or deleted (403), and only the
  patient's own ``Patient`` is updated or patched (another id: ``404``);
- every body is checked before it is forwarded (``body_rule``: in the compartment, and
  every Patient reference names the patient) and update, patch and delete first read the
  stored version, which must pass the same post-checks (``requires_stored_read``); for a
  conditional write the stored read is the search with the narrowed criteria;
- conditional URLs and ``If-None-Exist`` are hidden searches: narrowed like searches
  (``narrow_criteria``, ``narrow_conditional``); criteria naming another patient answer
  ``404`` without calling upstream, since "no match" would turn a conditional update into a
  create;
- conditional criteria are search parameters only (R4 http.html#cond-update "PUT
  [base]/[type]?[search parameters]", #3.1.0.7.1 conditional delete, #ccreate): result and
  formatting parameters (``RESULT_PARAMS``: ``_count``, ``_summary``, ``_elements``...)
  shape an answer, not the matches, and ``_count=0`` or ``_summary=count`` would make the
  proxy's match search come back empty while the server's own evaluation finds the record
  nobody checked: ``400``;
- PATCH is accepted only as JSON Patch (``application/json-patch+json``), which the
  plumbing can apply to the stored version and check; FHIRPath Patch (a ``Parameters``
  body, ``application/fhir+json``) and XML Patch are refused (400).
"""

from __future__ import annotations

from scopes.access import Access, GrantContext, resolve_access
from scopes.decision import (
    ALL_PATIENT_REFS_MUST_BE_P,
    Decision,
    Mismatch,
    Params,
    PostChecks,
    Reason,
    RequestMutation,
    allow,
    deny,
    not_found,
)
from scopes.filter_params import narrow_to_filters
from scopes.interaction import Interaction
from scopes.narrowing import narrow_to_patient
from scopes.query import QueryError, format_query_string, parse_key, parse_query_string
from scopes.refusals import ParamKind, refusal
from scopes.request import FhirRequest

JSON_PATCH = "application/json-patch+json"
FHIRPATH_PATCH_TYPES = frozenset({"application/fhir+json", "application/json+fhir",
                                  "application/fhir+xml", "application/xml-patch+xml"})
#: R4 search.html#return and #elements: what shapes a search answer rather than what matches.
RESULT_PARAMS = frozenset({
    "_count", "_summary", "_elements", "_sort", "_include", "_revinclude", "_total",
    "_contained", "_containedType", "_format", "_pretty",
})


def decide_write(grant: GrantContext, request: FhirRequest) -> Decision:
    interaction = request.interaction
    if interaction is None or not interaction.is_write or interaction.letter is None:
        return deny(Reason.UNSUPPORTED, "not a write")
    rtype = str(request.resource_type)
    access = resolve_access(grant, rtype, interaction.letter)
    if isinstance(access, Decision):
        return access
    kind = ParamKind.SEARCH if request.is_conditional else ParamKind.WRITE
    why = refusal(request.params, kind)
    if why:
        return deny(Reason.REFUSED_PARAMETER, why)
    if interaction is Interaction.PATCH and request.content_type != JSON_PATCH:
        if request.content_type in FHIRPATH_PATCH_TYPES:
            return deny(Reason.UNSUPPORTED, "FHIRPath and XML Patch are not supported")
        return deny(Reason.UNSUPPORTED, f"PATCH needs Content-Type {JSON_PATCH}")
    patient = access.patient
    if patient is not None and rtype == "Patient":
        if interaction in (Interaction.CREATE, Interaction.DELETE):
            return deny(Reason.PATIENT_RECORD_WRITE,
                        f"a patient-context app cannot {interaction.value} a Patient")
        if request.resource_id is not None and request.resource_id != patient:
            return not_found()
    params = request.params
    if request.is_conditional:
        narrowed = narrow_criteria(rtype, params, access)
        if isinstance(narrowed, Decision):
            return narrowed
        params = narrowed
    header = None
    if request.if_none_exist is not None:
        header = narrow_conditional(request.if_none_exist, grant, rtype)
        if isinstance(header, Decision):
            return header
    inspected = patient is not None or not access.filters.unrestricted
    post = PostChecks(
        confine_to_patient=patient,
        granular=None if access.filters.unrestricted else access.filters,
        letter=interaction.letter,
        on_mismatch=Mismatch.NOT_FOUND,
    )
    return allow(
        mutations=RequestMutation(params=params, if_none_exist=header),
        post_checks=post,
        requires_stored_read=inspected and interaction is not Interaction.CREATE,
        body_rule=ALL_PATIENT_REFS_MUST_BE_P
        if patient is not None and interaction is not Interaction.DELETE else None,
    )


def narrow_criteria(resource_type: str, params: Params, access: Access) -> Params | Decision:
    """Conditional criteria narrowed like a search, or the denial: ``400`` for a result
    parameter (``criteria_refusal``), ``404`` when they can match nothing the grant reaches."""
    why = criteria_refusal(params)
    if why:
        return deny(Reason.REFUSED_PARAMETER, why)
    if access.patient is not None and access.confined:
        narrowed = narrow_to_patient(resource_type, params, access.patient)
        if narrowed.empty:
            return not_found("the conditional criteria match nothing this grant reaches")
        params = narrowed.params
    filtered = narrow_to_filters(params, access.filters)
    if filtered.empty:
        return not_found("the conditional criteria match nothing this grant reaches")
    return filtered.params


def criteria_refusal(params: Params) -> str | None:
    """Why conditional criteria are refused: they hold a result or formatting parameter
    (``RESULT_PARAMS``, any modifier), which selects nothing (module docstring)."""
    for raw, _ in params:
        try:
            name = parse_key(raw).name
        except QueryError as error:
            return str(error)
        if name in RESULT_PARAMS or name.startswith("_contained"):
            return (f"conditional criteria take search parameters only; {name} shapes a "
                    "search answer (R4 http.html#cond-update)")
    return None


def narrow_conditional(header_value: str, grant: GrantContext, resource_type: str) -> str | Decision:
    """The ``If-None-Exist`` value to forward for a create of ``resource_type``, or a denial.

    The header is a query string (R4 http.html#ccreate) and is read with the create's own
    access: refused parameters are ``400``; criteria naming another patient ``404``.
    """
    access = resolve_access(grant, resource_type, "c")
    if isinstance(access, Decision):
        return access
    try:
        params = parse_query_string(header_value)
    except QueryError as error:
        return deny(Reason.REFUSED_PARAMETER, f"If-None-Exist: {error}")
    if not params:
        return deny(Reason.REFUSED_PARAMETER, "If-None-Exist has no criteria")
    why = refusal(params, ParamKind.SEARCH)
    if why:
        return deny(Reason.REFUSED_PARAMETER, f"If-None-Exist: {why}")
    narrowed = narrow_criteria(resource_type, params, access)
    if isinstance(narrowed, Decision):
        if narrowed.reason is Reason.REFUSED_PARAMETER:
            return deny(Reason.REFUSED_PARAMETER, f"If-None-Exist: {narrowed.message}")
        return narrowed
    return format_query_string(narrowed)
