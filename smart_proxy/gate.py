"""Steps 1, 2 and 5 of the request path: who is calling, are they still allowed, may they do this.

The grant alone is not enough: on every call the app must still be approved in
the registry (suspension and revocation take effect at once) and the consent the
grant was issued under must still be active (withdrawal and expiry take effect
at once).  Failing either is ``401 invalid_token``: the token is no longer good.
Then ``scopes.policy.decide`` judges the call itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote

from aiohttp import web

from scopes.decision import Decision
from scopes.labels import DEFAULT_WITHHELD
from scopes.policy import GrantContext, decide
from scopes.request import FhirRequest, RequestError, parse_request

from .bearer import authenticate
from .grants import Grant
from .keys import CLOCK, CONFIG, CONSENTS, DECISIONS, PAGING, REGISTRY, STORE
from .outcome import BadRequest, Unauthorized, error_for_status
from .paging import InvalidCursor, PageCursor

GRANT = web.RequestKey("grant", Grant)
WITHHELD = web.RequestKey("withheld_labels", tuple)


async def admit(
    request: web.Request, tail: str, body: bytes | None
) -> tuple[FhirRequest, Decision]:
    """Judge the call of an already authenticated grant (see :func:`live_grant`).

    ``decide`` is a pure function of the grant's scopes and context and of the request, so
    an allowed read's verdict is kept (per process, least recently used out) and reused for
    the same call by a grant with the same scopes and context; denials are judged anew.
    """
    grant = request[GRANT]
    if body or request.method not in ("GET", "HEAD"):
        return judge(request, grant, _parse(request, tail, body))
    headers = request.headers
    key = (grant.scopes, grant.patient, grant.fhir_user, request.method, tail,
           tuple(request.query.items()), headers.get("Content-Type"),
           headers.get("If-None-Exist"))
    cache = request.app[DECISIONS]
    found = cache.get(key)
    if found is None:
        found = cache[key] = judge(request, grant, _parse(request, tail, body))
    return found


async def admit_page(request: web.Request) -> tuple[Grant, FhirRequest, Decision, PageCursor]:
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
    _, decision = judge(request, grant, original)
    return grant, original, decision, cursor


async def live_grant(request: web.Request) -> Grant:
    app = request.app
    now = app[CLOCK]()
    grant = await authenticate(request, app[STORE], now)
    registered = app[REGISTRY].get(grant.client_id)
    if registered is None or not registered.is_approved(datetime.fromtimestamp(now, UTC)):
        raise Unauthorized("The app is no longer approved.", error="invalid_token")
    if grant.consent_id is not None and not await app[CONSENTS].is_active(grant.consent_id, now):
        raise Unauthorized("The patient's consent has ended.", error="invalid_token")
    request[GRANT] = grant
    request[WITHHELD] = await withheld_labels(request, grant)
    return grant


async def withheld_labels(request: web.Request, grant: Grant) -> tuple[str, ...]:
    """Sensitivity labels (``system|code``) the patient did not share with this app.

    The consent screen offers one opt-in for all sensitive records; when it was left
    unticked, every sensitivity and restricted-confidentiality label is withheld (a
    superset of the codes named on the screen: a record labelled with a code the screen
    did not spell out is still sensitive).
    """
    if grant.consent_id is None:
        return ()
    record = await request.app[CONSENTS].get(grant.consent_id)
    if record is None or not record.withheld_labels:
        return ()
    return tuple(sorted(DEFAULT_WITHHELD))


def judge(
    request: web.Request, grant: Grant, fhir_request: FhirRequest
) -> tuple[FhirRequest, Decision]:
    decision = decide(grant_context(request, grant), fhir_request)
    if not decision.allowed:
        raise error_for_status(decision.status, decision.message)
    # SECURITY: an allowed write still carries its body rule and stored read; the route
    # applies them (``smart_proxy.writes``) before anything is forwarded.
    return fhir_request, decision


def grant_context(request: web.Request, grant: Grant) -> GrantContext:
    """What ``decide`` reads of the grant, with the deployment's shared types."""
    return GrantContext(grant.scope_set, grant.patient, grant.fhir_user,
                        request.app[CONFIG].policy.shared_types)


def _parse(request: web.Request, tail: str, body: bytes | None) -> FhirRequest:
    segments = [unquote(part) for part in tail.split("/")] if tail else []
    form: list[tuple[str, str]] = []
    if request.method == "POST" and segments[-1:] == ["_search"] and body:
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    try:
        return parse_request(
            request.method, segments, tuple(request.query.items()),
            content_type=request.headers.get("Content-Type"), headers=request.headers, form=form,
        )
    except RequestError as exc:
        raise BadRequest(str(exc)) from None
