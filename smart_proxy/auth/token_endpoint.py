"""``POST /auth/token``: one handler, one grant module per ``grant_type``.

RFC 6749 §3.2 and §5, SMART App Launch 2.2 §"Obtain access token", §"Refresh
access token" and Backend Services.  The form is read once
(:mod:`.token_form`); an unknown ``grant_type`` is ``unsupported_grant_type``
(400, before any client authentication: Inferno sends a valid assertion with a
bogus grant type and expects exactly 400).  Success is 200 JSON with
``Cache-Control: no-store`` and ``Pragma: no-cache`` (RFC 6749 §5.1); failures are
RFC 6749 §5.2 errors (:mod:`.oauth_errors`).  The log line names the grant type,
client and error code, never a token, code, secret or assertion.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..keys import CLOCK
from .backend_grant import client_credentials
from .code_grant import exchange_code
from .oauth_errors import InvalidRequest, OAuthError, UnsupportedGrantType, no_store_json
from .refresh_grant import refresh
from .token_form import Form, read_form

log = logging.getLogger("smart_proxy.auth.token")

GrantHandler = Callable[[web.Request, Form, float], Awaitable[dict[str, Any]]]
GRANT_TYPES: dict[str, GrantHandler] = {
    "authorization_code": exchange_code,
    "refresh_token": refresh,
    "client_credentials": client_credentials,
}


async def handle_token(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    grant_type = "-"
    try:
        form = await read_form(request)
        grant_type = form.get("grant_type", "-")
        if "grant_type" not in form:
            raise InvalidRequest("grant_type is required.")
        handler = GRANT_TYPES.get(grant_type)
        if handler is None:
            grant_type = "unsupported"
            raise UnsupportedGrantType("Supported: " + ", ".join(GRANT_TYPES) + ".")
        body = await handler(request, form, now)
    except OAuthError as error:
        log.info("token request refused: grant_type=%s error=%s", grant_type, error.error)
        return error.response()
    log.info("token issued: grant_type=%s", grant_type)
    return no_store_json(body)
