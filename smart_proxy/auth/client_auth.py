"""Who is calling the token, introspection or revocation endpoint (RFC 6749 §2.3).

Four methods, each tied to one SMART client type; a credential of one type never
authenticates a client of another (a symmetric secret never stands in for a
signed assertion, a public client_id never for a secret):

=======================  ==============================  ====================================
method                   how                             client type
=======================  ==============================  ====================================
``none``                 ``client_id`` in the body       ``public`` (SMART client-public)
``client_secret_basic``  ``Authorization: Basic``        ``confidential-symmetric``
``client_secret_post``   ``client_id`` + ``client_secret``  ``confidential-symmetric``
``private_key_jwt``      ``client_assertion`` (RFC 7523)  ``confidential-asymmetric``
=======================  ==============================  ====================================

RFC 6749 §2.3: a client "MUST NOT use more than one authentication method in each
request" (→ ``invalid_request``).  §2.3.1: Basic credentials are form-url-encoded
before base64; SMART's test tool (Inferno) does not encode them, so the raw form
is tried first and the decoded form second.  Secrets are verified with
:func:`~smart_proxy.identity.passwords.verify_secret_async` (salted KDF,
constant-time compare, off the event loop).  The app must be *approved now*
(registry lifecycle): pending, suspended and revoked apps are ``invalid_client``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from urllib.parse import unquote_plus

from aiohttp import web

from app_registry import ClientType, RegisteredApp

from ..identity.passwords import verify_secret_async
from ..keys import ENDPOINTS, REGISTRY, STORE
from .client_assertion import ASSERTION_TYPE, verify_client_assertion
from .client_jwks import CLIENT_JWKS
from .oauth_errors import InvalidClient, InvalidRequest
from .token_form import Form


class AuthMethod(Enum):
    NONE = "none"
    SECRET_BASIC = "client_secret_basic"
    SECRET_POST = "client_secret_post"
    PRIVATE_KEY_JWT = "private_key_jwt"


@dataclass(frozen=True)
class AuthenticatedClient:
    app: RegisteredApp
    method: AuthMethod

    @property
    def client_id(self) -> str:
        return self.app.client_id


async def authenticate_client(
    request: web.Request, form: Form, now: float
) -> AuthenticatedClient | None:
    """The calling client, or ``None`` when the request names no client at all."""
    header = request.headers.get("Authorization")
    presented = [
        header is not None,
        "client_secret" in form,
        "client_assertion" in form or "client_assertion_type" in form,
    ]
    if sum(presented) > 1:
        raise InvalidRequest("Use exactly one client authentication method.")
    if header is not None:
        client = await _basic(request, header, now)
    elif presented[2]:
        client = await _assertion(request, form, now)
    elif "client_secret" in form:
        client = await _secret_post(request, form, now)
    elif "client_id" in form:
        client = _public(request, form["client_id"], now)
    else:
        return None
    if form.get("client_id", client.client_id) != client.client_id:
        raise InvalidClient("client_id does not match the authenticated client.")
    return client


def approved_app(request: web.Request, client_id: str, now: float) -> RegisteredApp:
    app = request.app[REGISTRY].get(client_id)
    if app is None or not app.is_approved(datetime.fromtimestamp(now, UTC)):
        raise InvalidClient("Unknown or unapproved client.")
    return app


async def _basic(request: web.Request, header: str, now: float) -> AuthenticatedClient:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("Use the Basic scheme to authenticate the client.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InvalidClient("The Basic credentials are not valid base64.") from None
    raw_id, colon, raw_secret = decoded.partition(":")
    if not colon:
        raise InvalidClient("The Basic credentials have no client secret.")
    client_id = raw_id if raw_id in request.app[REGISTRY] else unquote_plus(raw_id)
    app = _confidential_symmetric(request, client_id, now)
    candidates = dict.fromkeys((raw_secret, unquote_plus(raw_secret)))
    await _check_secret(app, candidates)
    return AuthenticatedClient(app, AuthMethod.SECRET_BASIC)


async def _secret_post(request: web.Request, form: Form, now: float) -> AuthenticatedClient:
    client_id = form.get("client_id")
    if client_id is None:
        raise InvalidClient("client_secret needs a client_id.")
    app = _confidential_symmetric(request, client_id, now)
    await _check_secret(app, {form["client_secret"]: None})
    return AuthenticatedClient(app, AuthMethod.SECRET_POST)


async def _assertion(request: web.Request, form: Form, now: float) -> AuthenticatedClient:
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise InvalidClient(f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = form.get("client_assertion")
    if assertion is None:
        raise InvalidClient("client_assertion is missing.")
    app = await verify_client_assertion(
        assertion,
        registry=request.app[REGISTRY],
        jwks_cache=request.app[CLIENT_JWKS],
        store=request.app[STORE],
        token_url=str(request.app[ENDPOINTS].token),
        now=now,
    )
    return AuthenticatedClient(app, AuthMethod.PRIVATE_KEY_JWT)


def _public(request: web.Request, client_id: str, now: float) -> AuthenticatedClient:
    app = approved_app(request, client_id, now)
    if app.client_type is not ClientType.PUBLIC:
        raise InvalidClient("This client is confidential and must authenticate.")
    return AuthenticatedClient(app, AuthMethod.NONE)


def _confidential_symmetric(request: web.Request, client_id: str, now: float) -> RegisteredApp:
    app = approved_app(request, client_id, now)
    if app.client_type is not ClientType.CONFIDENTIAL_SYMMETRIC or not app.client_secret_hash:
        raise InvalidClient("This client does not authenticate with a client secret.")
    return app


async def _check_secret(app: RegisteredApp, candidates: dict[str, None]) -> None:
    stored = app.client_secret_hash or ""
    for candidate in candidates:
        if await verify_secret_async(stored, candidate):
            return
    raise InvalidClient("Client authentication failed.")
