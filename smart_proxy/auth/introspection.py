"""``POST /auth/introspect``: token introspection (RFC 7662, SMART 2.2 token-introspection).

Who may ask (RFC 7662 §2.1 "MUST require some form of authorization"; SMART
2.2 §"Authorization to perform Token Introspection"): a caller presenting a
live access token of this server as ``Authorization: Bearer``, or a
confidential client authenticating (Basic, ``client_secret_post`` or
``private_key_jwt``).  Anyone else gets 401.

The answer is always 200 JSON (``no-store``).  For an active token (see
:mod:`.token_status`): ``active: true``, ``scope`` (the same string as the token
response), ``client_id``, ``exp`` and ``iat`` (integers), ``token_type``,
``iss``, ``sub``, ``fhirUser`` (absolute URL), and the launch context the token
response carried (``patient``, ``encounter``, ``need_patient_banner``,
``smart_style_url``).  For anything else -- unknown, expired, revoked, spent,
consent withdrawn, app suspended -- exactly ``{"active": false}``: RFC 7662
§2.2 says not to explain, and Inferno warns on extra members.  Refresh tokens
can be introspected too; ``token_type_hint`` only chooses which lookup runs
first (RFC 7662 §2.1).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from ..grants import Grant
from ..keys import CLOCK, ENDPOINTS
from .client_auth import AuthMethod, authenticate_client
from .id_token import fhir_user_url, subject_of
from .oauth_errors import InvalidClient, InvalidRequest, InvalidToken, OAuthError, no_store_json
from .records import RefreshRecord
from .token_form import Form, read_form
from .token_issuance import launch_context
from .token_status import active_grant, active_refresh

log = logging.getLogger("smart_proxy.auth.introspect")
INACTIVE: dict[str, Any] = {"active": False}


async def handle_introspect(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    try:
        form = await read_form(request)
        await _authorize_caller(request, form, now)
        token = form.get("token")
        if token is None:
            raise InvalidRequest("token is required.")
    except OAuthError as error:
        log.info("introspection refused: error=%s", error.error)
        return error.response()
    return no_store_json(await introspect(request.app, token, form.get("token_type_hint"), now))


async def introspect(
    app: web.Application, token: str, hint: str | None, now: float
) -> dict[str, Any]:
    if hint == "refresh_token":
        found = await active_refresh(app, token, now)
        if found is not None:
            return _refresh_body(app, found.record)
    grant = await active_grant(app, token, now)
    if grant is not None:
        return _access_body(app, grant)
    if hint != "refresh_token":
        found = await active_refresh(app, token, now)
        if found is not None:
            return _refresh_body(app, found.record)
    return dict(INACTIVE)


async def _authorize_caller(request: web.Request, form: Form, now: float) -> None:
    scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        if await active_grant(request.app, credential.strip(), now) is None:
            raise InvalidToken("The bearer token is invalid, expired or revoked.")
        return
    client = await authenticate_client(request, form, now)
    if client is None or client.method is AuthMethod.NONE:
        raise InvalidClient("Introspection needs a bearer token or confidential credentials.")


def _access_body(app: web.Application, grant: Grant) -> dict[str, Any]:
    body = _common(app, grant.client_id, grant.scopes, grant.expires_at, grant.issued_at)
    body["token_type"] = "Bearer"
    sub = grant.extra.get("sub")
    if isinstance(sub, str):
        body["sub"] = sub
    banner = grant.extra.get("need_patient_banner")
    fhir_user = grant.fhir_user if "fhirUser" in grant.scopes else None
    return {**body, **_user_and_context(app, fhir_user, grant.patient, grant.encounter, banner)}


def _refresh_body(app: web.Application, record: RefreshRecord) -> dict[str, Any]:
    body = _common(app, record.client_id, record.scopes, record.expires_at, record.issued_at)
    sub = subject_of(record.username, record.fhir_user)
    if sub is not None:
        body["sub"] = sub
    fhir_user = record.fhir_user if "fhirUser" in record.scopes else None
    banner = record.need_patient_banner
    return {**body, **_user_and_context(app, fhir_user, record.patient, record.encounter, banner)}


def _common(
    app: web.Application, client_id: str, scopes: tuple[str, ...], exp: float, iat: float
) -> dict[str, Any]:
    return {
        "active": True,
        "scope": " ".join(scopes),
        "client_id": client_id,
        "exp": int(exp),
        "iat": int(iat),
        "iss": str(app[ENDPOINTS].issuer),
    }


def _user_and_context(
    app: web.Application,
    fhir_user: str | None,
    patient: str | None,
    encounter: str | None,
    banner: object,
) -> dict[str, Any]:
    endpoints = app[ENDPOINTS]
    banner_flag = banner if isinstance(banner, bool) else None
    fields = launch_context(endpoints, patient, encounter, banner_flag)
    if fhir_user is not None:
        fields["fhirUser"] = fhir_user_url(endpoints.fhir_base, fhir_user)
    return fields
