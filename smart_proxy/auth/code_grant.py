"""``grant_type=authorization_code`` (RFC 6749 §4.1.3, SMART 2.2 "Obtain access token").

Order of checks (each failure is final):

1. the client: public clients name themselves with ``client_id``, confidential
   ones authenticate (:mod:`.client_auth`);
2. ``code``, ``redirect_uri`` and a well-formed ``code_verifier`` are present
   (``invalid_request``) -- checked before the code is touched;
3. the code is *taken* from the store (atomic read-and-delete: single use, even
   across replicas); unknown, expired or already used → ``invalid_grant`` (400,
   never 401: Inferno's "invalid code" test expects 400);
4. it was issued to this client, for this ``redirect_uri`` (exact string), within
   its lifetime, and the PKCE S256 verifier matches (RFC 7636 §4.6);
5. the patient's consent is still active.

Code replay (RFC 6749 §4.1.2: "If an authorization code is used more than once,
the authorization server MUST deny the request and SHOULD revoke (when possible)
all tokens previously issued based on that authorization code"): before issuing,
a spent marker ``code digest → {grant id, refresh family}`` is written for
:data:`CODE_SPENT_TTL_S`.  A second use finds it, flags it ``replayed`` and
revokes that grant and family; the first exchange re-reads the marker after
issuing, so a replay racing it still ends its tokens.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..grants import revoke_grant, token_digest
from ..keys import STORE
from .client_auth import authenticate_client
from .families import revoke_family
from .lifetimes import code_seconds, refresh_expiry, wants_refresh_token
from .oauth_errors import InvalidClient, InvalidGrant, InvalidRequest
from .pkce import checked_verifier, verify_code_verifier
from .records import CODE_NS, AuthorizationCode
from .token_form import Form
from .token_issuance import Authorization, consent_expiry, issue_tokens, new_id

CODE_SPENT_NS = "code_spent"
CODE_SPENT_TTL_S = 24 * 3600
UNUSABLE_CODE = "The authorization code is invalid, expired or already used."


async def exchange_code(request: web.Request, form: Form, now: float) -> dict[str, Any]:
    client = await authenticate_client(request, form, now)
    if client is None:
        raise InvalidClient("client_id is required for a public client.")
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    if code is None:
        raise InvalidRequest("code is required.")
    if redirect_uri is None:
        raise InvalidRequest("redirect_uri is required.")
    verifier = checked_verifier(form.get("code_verifier"))
    store = request.app[STORE]
    digest = token_digest(code)
    data = await store.take(CODE_NS, digest)
    if data is None:
        await _on_replay(request.app, digest)
        raise InvalidGrant(UNUSABLE_CODE)
    record = AuthorizationCode.from_json(data)
    if record.client_id != client.client_id:
        raise InvalidGrant("The authorization code was issued to another client.")
    if now >= record.issued_at + code_seconds(client.app):
        raise InvalidGrant(UNUSABLE_CODE)
    if record.redirect_uri != redirect_uri:
        raise InvalidGrant("redirect_uri does not match the authorization request.")
    verify_code_verifier(record.code_challenge, verifier, record.code_challenge_method)
    not_after = await consent_expiry(request.app, record.consent_id, now)

    authz = Authorization.from_code(record)
    grant_id = new_id()
    family = new_id() if wants_refresh_token(authz.scopes) else None
    marker = {"grant_id": grant_id, "family": family, "replayed": False}
    await store.put(CODE_SPENT_NS, digest, marker, ttl=CODE_SPENT_TTL_S)
    body = await issue_tokens(
        request.app,
        client.app,
        authz,
        now=now,
        grant_id=grant_id,
        family=family,
        refresh_expires_at=(
            None
            if family is None
            else refresh_expiry(client.app, authz.scopes, now, consent_expiry=not_after)
        ),
        not_after=not_after,
        nonce=record.nonce,
    )
    latest = await store.get(CODE_SPENT_NS, digest)
    if latest is None or latest.get("replayed"):
        await _revoke_issued(request.app, grant_id, family)
        raise InvalidGrant(UNUSABLE_CODE)
    return body


async def _on_replay(app: web.Application, digest: str) -> None:
    store = app[STORE]
    marker = await store.get(CODE_SPENT_NS, digest)
    if marker is None:
        return
    await store.put(CODE_SPENT_NS, digest, {**marker, "replayed": True}, ttl=CODE_SPENT_TTL_S)
    await _revoke_issued(app, str(marker["grant_id"]), marker.get("family"))


async def _revoke_issued(app: web.Application, grant_id: str, family: object) -> None:
    store = app[STORE]
    await revoke_grant(store, grant_id)
    if isinstance(family, str):
        await revoke_family(store, family)
