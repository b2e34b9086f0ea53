"""Authenticate a FHIR call: Authorization header → live grant.

RFC 6750 §2.1 defines the header form.  The query form (§2.3, ``access_token=``)
is refused: query strings end up in logs, browser history and Referer headers.
The body form (§2.2) is not supported either, so the token is read from exactly
one place.
"""

from __future__ import annotations

import re

from aiohttp import web

from .grants import Grant, grant_for_token
from .outcome import BadRequest, Unauthorized
from .state import StateStore

# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_MAX_TOKEN_LENGTH = 512


def bearer_token(request: web.Request) -> str:
    if "access_token" in request.query:
        raise BadRequest("Access tokens are accepted only in the Authorization header.")
    header = request.headers.get("Authorization")
    if header is None:
        raise Unauthorized()
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Use the Bearer authorization scheme.", error="invalid_request")
    if len(token) > _MAX_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
        raise Unauthorized("The access token is malformed.", error="invalid_token")
    return token


async def authenticate(request: web.Request, store: StateStore, now: float) -> Grant:
    grant = await grant_for_token(store, bearer_token(request), now)
    if grant is None:
        raise Unauthorized("The access token is invalid, expired or revoked.", error="invalid_token")
    return grant
