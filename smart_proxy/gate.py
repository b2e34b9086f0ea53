"""Steps 1, 2 and 5 of the request path: who is calling, are they still allowed, may they do this.

The grant alone is not enough: on every call the app must still be approved in
the registry (suspension and revocation take effect at once) and the consent the
grant was issued under must still be active (withdrawal and expiry take effect
at once).  Failing either is ``401 invalid_token``: the token is no longer good.
Then ``scopes.policy.decide`` judges the call itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

from aiohttp import web

from scopes import ScopeSet
from scopes.decision import Decision
from scopes.policy import GrantContext, decide
from scopes.request import FhirRequest, RequestError, parse_request

from .bearer import authenticate
from .grants import Grant
from .keys import CLOCK, CONSENTS, PAGING, REGISTRY, STORE
from .outcome import BadRequest, Forbidden, NotFound, Unauthorized
from .paging import InvalidCursor, PageCursor


async def admit(request: web.Request, tail: str) -> tuple[Grant, FhirRequest, Decision]:
    grant = await live_grant(request)
    return grant, *judge(grant, _parse(request, tail))


async def admit_page(request: web.Request) -> tuple[Grant, FhirRequest, PageCursor]:
    """A paging link: the cursor must be ours, unexpired and this grant's; then the
    original request is judged again exactly as on the first page."""
    grant = await live_grant(request)
    try:
        cursor = request.app[PAGING].decode(request.query.get("cursor", ""), grant.grant_id,
                                            request.app[CLOCK]())
        original = parse_request(
            str(cursor.request["method"]), list(cursor.request["segments"]),
            [tuple(pair) for pair in cursor.request["params"]],
        )
    except (InvalidCursor, RequestError, KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"The paging link is not valid: {exc}") from None
    judge(grant, original)
    return grant, original, cursor


async def live_grant(request: web.Request) -> Grant:
    app = request.app
    now = app[CLOCK]()
    grant = await authenticate(request, app[STORE], now)
    registered = app[REGISTRY].get(grant.client_id)
    if registered is None or not registered.is_approved(datetime.fromtimestamp(now, UTC)):
        raise Unauthorized("The app is no longer approved.", error="invalid_token")
    if grant.consent_id is not None and not await app[CONSENTS].is_active(grant.consent_id, now):
        raise Unauthorized("The patient's consent has ended.", error="invalid_token")
    return grant


def judge(grant: Grant, fhir_request: FhirRequest) -> tuple[FhirRequest, Decision]:
    decision = decide(
        GrantContext(ScopeSet.from_strings(grant.scopes), grant.patient, grant.fhir_user),
        fhir_request,
    )
    if not decision.allowed:
        if decision.status == 400:
            raise BadRequest(decision.message)
        if decision.status == 404:
            raise NotFound(decision.message)
        raise Forbidden(decision.message)
    _refuse_unenforced(fhir_request, decision)
    return fhir_request, decision


def _refuse_unenforced(fhir_request: FhirRequest, decision: Decision) -> None:
    """SECURITY (interim): until the pipeline forwards ``decision.mutations.params`` and runs
    the post-checks, refuse what only they make safe: an empty-result answer, granular-only
    access and ``$everything``.  Remove once the route applies the whole Decision."""
    if decision.mutations.empty_result:
        raise NotFound("No matching resources for this patient.")
    if decision.post_checks.granular is not None:
        raise Forbidden("Only filtered access to this type is granted.")
    if fhir_request.operation == "$everything":
        raise BadRequest("$everything is not available yet.")


def _parse(request: web.Request, tail: str) -> FhirRequest:
    segments = [unquote(part) for part in tail.split("/")] if tail else []
    try:
        return parse_request(request.method, segments, tuple(request.query.items()))
    except RequestError as exc:
        raise BadRequest(str(exc)) from None
