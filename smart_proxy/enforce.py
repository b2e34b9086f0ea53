"""Applying a ``Decision`` (steps 5–7 of the request path): what goes upstream, what comes back.

* the upstream query is the decision's ``mutations.params``, never the app's own;
* ``If-None-Exist`` is the decision's narrowed value, never the app's header;
* an ``empty_result`` decision is answered with an empty searchset, no upstream call;
* every resource of a JSON answer (entries, includes, contained, history) passes the
  grant's post-check or is removed; a single resource that fails is a 404;
* an answer the proxy cannot inspect (not JSON) is refused under patient confinement.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from aiohttp import web

from scopes import ScopeSet
from scopes.decision import Decision, Mismatch
from scopes.grammar import Context
from scopes.policy import GrantContext
from scopes.postcheck import PostCheck, build_check
from scopes.postfilter import filter_answer

from .gate import WITHHELD
from .grants import Grant
from .keys import CLOCK, CONFIG, ENDPOINTS, PAGING
from .outcome import FHIR_JSON, NO_STORE, NotFound
from .paging import replace_links
from .proxy.forward import DocumentHook

_QUERY_SAFE = ",|:/$*"


def upstream_query(decision: Decision) -> str:
    return urlencode(decision.mutations.params, quote_via=quote, safe=_QUERY_SAFE)


def empty_searchset() -> web.Response:
    body = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
    return web.Response(body=orjson.dumps(body), content_type=FHIR_JSON, charset="utf-8", headers=NO_STORE)


def needs_inspection(decision: Decision) -> bool:
    return decision.post_checks.letter is not None or decision.post_checks.confine_to_patient is not None


def answer_hooks(
    request: web.Request, grant: Grant, decision: Decision, original: dict[str, object]
) -> DocumentHook:
    """Post-checks first, then the paging cursors (links of what survived)."""
    app = request.app
    check = answer_filter(request, grant, decision) if needs_inspection(decision) else None

    def hook(document: Any) -> Any:
        if check is not None:
            document = check(document)
        if isinstance(document, dict) and document.get("resourceType") == "Bundle":
            replace_links(document, served_base=app[ENDPOINTS].fhir_base, codec=app[PAGING],
                          grant_id=grant.grant_id, request=original, now=app[CLOCK]())
        return document

    return hook


def _confined_to(grant: Grant, decision: Decision) -> str | None:
    """The patient whose world ``patient/`` access is confined to for this answer.

    The policy names it; when it does not while a patient is in context, the call is the
    signed-in user's own ``fhirUser`` read (a parent acting for a child reads their own
    Patient), so a Patient fhirUser confines to themselves.
    """
    if decision.post_checks.confine_to_patient is not None:
        return decision.post_checks.confine_to_patient
    if grant.fhir_user and grant.fhir_user.startswith("Patient/"):
        return grant.fhir_user.split("/", 1)[1]
    return grant.patient


def grant_check(request: web.Request, grant: Grant, decision: Decision, letter: str) -> PostCheck:
    """The per-resource post-check of ``grant`` for this decision (``scopes.postcheck``):
    the consent's withheld labels and the deployment's shared types included.

    A check depends only on these values, so one instance (with the per-type rules it has
    worked out) serves every request that shares them."""
    contexts = GrantContext(grant.scope_set, grant.patient, grant.fhir_user).usable_contexts
    return _shared_check(grant.scopes, _confined_to(grant, decision), contexts,
                         tuple(request.get(WITHHELD, ())), letter,
                         request.app[CONFIG].policy.shared_types)


@lru_cache(maxsize=4096)
def _shared_check(
    scopes: tuple[str, ...], patient: str | None, contexts: frozenset[Context],
    withheld_labels: tuple[str, ...], letter: str, shared_types: frozenset[str],
) -> PostCheck:
    return build_check(ScopeSet.shared(scopes), patient, contexts, withheld_labels, letter,
                       shared_types=shared_types)


def answer_filter(request: web.Request, grant: Grant, decision: Decision) -> DocumentHook:
    """The document hook that enforces the decision's post-checks."""
    checks = decision.post_checks
    if checks.letter not in (None, "r", "s"):
        # Writes are checked on the way in (body rule, stored read); the answer is the stored
        # result (a patch applied, a conditional create's existing match), shown only to a
        # grant that could read it.
        return _written_resource(grant_check(request, grant, decision, "r"))
    letter = checks.letter or ("s" if checks.on_mismatch is Mismatch.DROP else "r")
    check = grant_check(request, grant, decision, letter)

    def hook(document: Any) -> Any:
        if isinstance(document, dict) and document.get("resourceType") == "OperationOutcome":
            return document
        result = filter_answer(document, check, contained_check=check.contained,
                               strip_total=checks.strip_total)
        # One resource asked for (read, vread, instance history): anything of it withheld
        # makes the whole answer 404, so "not yours" reads exactly like "absent".
        if result.refused or (result.removed and checks.on_mismatch is Mismatch.NOT_FOUND):
            raise NotFound()
        return result.document

    return hook


def _written_resource(check: PostCheck) -> DocumentHook:
    """A write's answer is shown only if the grant could read it (letter ``r``: type,
    compartment, granular filters, withheld labels): a ``u``-only grant does not read the
    patched result, and a conditional create that matched (R4 http.html#ccreate answers
    ``200`` with the existing resource) does not disclose a withheld record.  Otherwise an
    informational OperationOutcome says the write was done (or matched)."""

    def hook(document: Any) -> Any:
        if not isinstance(document, dict) or document.get("resourceType") == "OperationOutcome":
            return document
        if check(document):
            return document
        return {"resourceType": "OperationOutcome", "issue": [{
            "severity": "information", "code": "informational",
            "diagnostics": "Done; this grant does not read the resulting resource.",
        }]}

    return hook
