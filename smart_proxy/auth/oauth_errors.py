"""OAuth 2.0 error responses for the token, introspection and revocation endpoints.

RFC 6749 §5.2: the body is JSON ``{"error", "error_description"}``, status 400,
except ``invalid_client``, which may be 401 and MUST be 401 with a
``WWW-Authenticate`` challenge when the client used the ``Authorization`` header.
We answer every ``invalid_client`` with 401 and a ``Basic`` challenge (HTTP
(RFC 9110 §15.5.2) requires a challenge on every 401, and Basic is a scheme this
endpoint accepts).  RFC 6750 §3.1 gives ``invalid_token`` for a bad bearer token
(used by introspection's caller check).  Every response carries
``Cache-Control: no-store`` and ``Pragma: no-cache`` (RFC 6749 §5.1, SMART 2.2
"Response" of the token request).

Each class is one protocol error code; the description never contains a token,
a secret or a user-supplied value, and is restricted to the characters RFC 6749
§5.2 allows (%x20-21 / %x23-5B / %x5D-7E).
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
REALM = "smart-proxy"


class OAuthError(Exception):
    error: ClassVar[str] = "invalid_request"
    status: ClassVar[int] = 400

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = _allowed_characters(description)

    def headers(self) -> dict[str, str]:
        return dict(NO_STORE)

    def response(self) -> web.Response:
        body = {"error": self.error, "error_description": self.description}
        return web.json_response(body, status=self.status, headers=self.headers())


class InvalidRequest(OAuthError):
    """RFC 6749 §5.2: missing, repeated or malformed parameter; wrong content type."""

    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: client authentication failed (unknown client, bad credential...)."""

    error = "invalid_client"
    status = 401

    def headers(self) -> dict[str, str]:
        return {**NO_STORE, "WWW-Authenticate": f'Basic realm="{REALM}"'}


class InvalidGrant(OAuthError):
    """RFC 6749 §5.2: the code or refresh token is invalid, expired, revoked or not yours."""

    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    """RFC 6749 §5.2: this client may not use this grant type."""

    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    """RFC 6749 §5.2: the grant type is not supported by this server."""

    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    """RFC 6749 §5.2: the requested scope is invalid, unknown, or exceeds the grant."""

    error = "invalid_scope"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the bearer token presented to a protected endpoint is not valid."""

    error = "invalid_token"
    status = 401

    def headers(self) -> dict[str, str]:
        challenge = f'Bearer realm="{REALM}", error="invalid_token"'
        return {**NO_STORE, "WWW-Authenticate": challenge}


def no_store_json(body: dict[str, Any], status: int = 200) -> web.Response:
    """A JSON answer that no cache may keep (tokens and introspection results)."""
    return web.json_response(body, status=status, headers=NO_STORE)


def _allowed_characters(text: str) -> str:
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
