"""``grant_type=client_credentials`` for SMART Backend Services.

SMART App Launch 2.2, backend-services.html, and RFC 6749 §4.4:

* the client authenticates with ``private_key_jwt`` only (RFC 7523); a symmetric
  secret or a bare ``client_id`` is ``invalid_client`` (401) -- "the symmetric
  profile is not intended for Backend Services" (client-confidential-symmetric);
* the app is registered with the ``backend`` launch type (else
  ``unauthorized_client``);
* ``scope`` is required; the grant is the requested scopes the app's
  pre-authorized ``system/`` scopes cover (:func:`scopes.negotiate`, literal
  strings, v1 ``system/*.read`` and v2 both accepted); nothing grantable →
  ``invalid_scope``;
* the token lives at most five minutes (``expires_in`` ≤ 300, SHOULD) and no
  refresh token is issued (SHOULD NOT).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from app_registry import LaunchType
from scopes import negotiate

from ..grants import Grant, issue_access_token
from ..keys import STORE, TOKEN_FACTORY
from .client_auth import AuthMethod, authenticate_client
from .lifetimes import backend_token_seconds
from .oauth_errors import InvalidClient, InvalidRequest, InvalidScope, UnauthorizedClient
from .token_form import Form
from .token_issuance import new_id


async def client_credentials(request: web.Request, form: Form, now: float) -> dict[str, Any]:
    client = await authenticate_client(request, form, now)
    if client is None or client.method is not AuthMethod.PRIVATE_KEY_JWT:
        raise InvalidClient("Backend services authenticate with private_key_jwt only.")
    app = client.app
    if not app.allows_launch(LaunchType.BACKEND):
        raise UnauthorizedClient("This client is not registered for backend services.")
    requested = form.get("scope")
    if requested is None:
        raise InvalidRequest("scope is required.")
    negotiated = negotiate(requested, [s for s in app.scopes if s.startswith("system/")])
    if negotiated.nothing_granted:
        raise InvalidScope("None of the requested scopes is pre-authorized for this client.")
    lifetime = backend_token_seconds(app)
    grant = Grant(
        grant_id=new_id(),
        client_id=app.client_id,
        scopes=negotiated.granted,
        issued_at=now,
        expires_at=now + lifetime,
        extra={"sub": app.client_id},
    )
    token = await issue_access_token(request.app[STORE], grant, now, request.app[TOKEN_FACTORY])
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": negotiated.scope,
    }
