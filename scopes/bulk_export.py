"""May this grant start this bulk export, and with which parameters?  Deny by default.

FHIR Bulk Data Access IG v2 ("Bulk Data Kick-off Request") and SMART Backend Services;
peer-gateways (c) 21 and conformance 95–97, 132:

- only ``system/`` scopes export: a ``patient/`` or ``user/`` grant is refused (403);
- ``Group/[id]/$export`` needs the Group among those the registry pre-authorised for the
  client (another Group answers 404, like an absent one); ``Patient/$export`` and the
  system-level ``$export`` reach every patient and need the registry's ``all_patients``;
- parameters come from an allow-list (anything else is 400, whatever ``Prefer: handling``
  says: an unknown parameter might widen what is selected); ``patient`` is refused, since
  an upstream honouring it could export a patient outside the authorised Group; ``_outputFormat`` must be an
  NDJSON form; ``_since``/``_until`` must be FHIR instants;
- ``_type``: every named type needs ``r`` on a ``system/`` scope (403 naming the others);
  without ``_type`` the upstream is asked for exactly the granted types (all types only
  under an unfiltered ``system/*`` read);
- ``_typeFilter`` entries (``Type?query``) are searches: their type must be granted and
  their query passes the same refusals as any search (no chains, no ``_has``);
- granular ``system/`` scopes are enforced on the files themselves: every NDJSON line is
  post-checked (``scopes.postcheck.build_check`` with letter ``r``) before it leaves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from scopes.decision import Decision, Params, Reason, RequestMutation, allow, deny, not_found
from scopes.grammar import WILDCARD
from scopes.query import QueryError, parse_query_string, split_values
from scopes.refusals import ParamKind, refusal
from scopes.scopeset import ScopeSet

SYSTEM: frozenset[str] = frozenset({"system"})
NDJSON_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
_ALLOWED = frozenset({
    "_outputFormat", "_since", "_until", "_type", "_typeFilter", "_elements",
    "includeAssociatedData", "organizeOutputBy", "allowPartialManifests",
})
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})"
)
_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")


class ExportLevel(Enum):
    SYSTEM = "system"  # [base]/$export
    PATIENT = "patient"  # [base]/Patient/$export
    GROUP = "group"  # [base]/Group/[id]/$export


@dataclass(frozen=True)
class ExportPolicy:
    """What the app registry pre-authorises one client to export."""

    groups: frozenset[str] = frozenset()
    all_patients: bool = False


def decide_export(
    scopes: ScopeSet, level: ExportLevel, group_id: str | None, params: Params,
    policy: ExportPolicy,
) -> Decision:
    """The kick-off decision; ``mutations.params`` is the query to send upstream."""
    if not scopes.resource_types("r", SYSTEM):
        return deny(Reason.INSUFFICIENT_SCOPE, "bulk export needs system/ scopes")
    if level is ExportLevel.GROUP:
        if group_id is None or group_id not in policy.groups:
            return not_found("this Group is not available for export to this client")
    elif not policy.all_patients:
        return deny(Reason.INSUFFICIENT_SCOPE,
                    "this client may export pre-authorised Groups only")
    problem = _parameter_problem(params)
    if problem:
        return deny(Reason.REFUSED_PARAMETER, problem)
    named = [t for key, value in params if key == "_type" for t in split_values(value)]
    if any(not _TYPE.fullmatch(name) for name in named):
        return deny(Reason.REFUSED_PARAMETER, "_type must list resource type names")
    refused = sorted({name for name in named if not scopes.permits(name, "r", SYSTEM)})
    if refused:
        return deny(Reason.INSUFFICIENT_SCOPE,
                    f"not granted for export: {', '.join(refused)}")
    why = _type_filter_problem(scopes, [v for k, v in params if k == "_typeFilter"])
    if why is not None:
        return why
    kept = tuple((key, value) for key, value in params if key != "_type")
    types = list(dict.fromkeys(named)) or _granted_types(scopes)
    if types:
        kept = (("_type", ",".join(types)), *kept)
    return allow(mutations=RequestMutation(params=kept))


def granted_for_export(scopes: ScopeSet, resource_type: str) -> bool:
    """Whether files of ``resource_type`` may be listed in a manifest for this grant."""
    return scopes.permits(resource_type, "r", SYSTEM)


def _granted_types(scopes: ScopeSet) -> list[str]:
    """Every granted type, or ``[]`` when an unfiltered ``system/*`` read opens all of them."""
    if scopes.filters_for(WILDCARD, "r", SYSTEM).unrestricted:
        return []
    return sorted(t for t in scopes.resource_types("r", SYSTEM) if t != WILDCARD)


def _parameter_problem(params: Params) -> str | None:
    for key, value in params:
        if key not in _ALLOWED:
            return f"the export parameter {key!r} is not supported"
        if key == "_outputFormat" and value not in NDJSON_FORMATS:
            return "_outputFormat must be application/fhir+ndjson"
        if key in ("_since", "_until") and not _INSTANT.fullmatch(value):
            return f"{key} must be a FHIR instant (e.g. 2026-01-01T00:00:00Z)"
        if key == "patient":
            return ("the patient parameter is not supported: the proxy cannot confirm that "
                    "each patient named is a member of the pre-authorised Group")
    for key in ("_outputFormat", "_since", "_until"):
        if sum(1 for k, _ in params if k == key) > 1:
            return f"{key} may be given once"
    return None


def _type_filter_problem(scopes: ScopeSet, filters: list[str]) -> Decision | None:
    for text in filters:
        resource_type, mark, query = text.partition("?")
        if not mark or not _TYPE.fullmatch(resource_type) or not query:
            return deny(Reason.REFUSED_PARAMETER, "_typeFilter entries are Type?query")
        if not scopes.permits(resource_type, "r", SYSTEM):
            return deny(Reason.INSUFFICIENT_SCOPE,
                        f"not granted for export: {resource_type}")
        try:
            why = refusal(parse_query_string(query), ParamKind.SEARCH)
        except QueryError as error:
            why = str(error)
        if why:
            return deny(Reason.REFUSED_PARAMETER, f"_typeFilter: {why}")
    return None
