"""Validating an authorization request (SMART App Launch 2.2 §"Obtain authorization code").

Two phases, in this order (smart-conformance.md items 22-34):

1. :func:`trusted_client` -- ``client_id`` names an app that is registered and
   approved *now*, and ``redirect_uri`` is one of its registered URIs (exact
   string match; an app with exactly one may omit it).  Until both hold nothing
   can be sent back to anyone: failures are a 400 page, never a redirect
   (RFC 6749 §4.1.2.1).
2. :func:`check_request` -- everything else, each failure an OAuth error
   redirected to the app with the exact ``state``: a repeated parameter
   (``invalid_request``), ``response_type`` (``unsupported_response_type``),
   ``state`` (required), ``aud`` (must be this proxy's FHIR base; Inferno's
   "invalid aud" test: no code ever), PKCE (``S256`` only, RFC 7636 §4.2 challenge
   syntax), the launch type the app registered (``unauthorized_client``), and the
   scopes, negotiated against the app's ceiling (``invalid_scope`` when nothing is
   grantable).  The ``launch`` id is checked last, by :mod:`.launch_lookup`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from multidict import MultiMapping

from app_registry import LaunchType, RegisteredApp, Registry
from scopes import negotiate

from .app_redirect import AppError

PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "aud",
    "code_challenge",
    "code_challenge_method",
    "launch",
    "nonce",
)
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
MAX_NONCE = 512


@dataclass(frozen=True)
class Untrusted:
    """The client or redirect URI cannot be trusted: show ``message`` with 400."""

    message: str


@dataclass(frozen=True)
class Refused:
    """An OAuth error to redirect to the (trusted) ``redirect_uri``."""

    redirect_uri: str
    state: str | None
    error: AppError


@dataclass(frozen=True)
class AuthorizeRequest:
    app: RegisteredApp
    redirect_uri: str
    state: str
    scope_requested: str
    scopes_offered: tuple[str, ...]
    code_challenge: str
    aud: str
    launch: str | None
    nonce: str | None


def _single(params: MultiMapping[str], name: str) -> tuple[str | None, bool]:
    """The parameter's value (``None`` when absent or empty) and whether it was repeated."""
    values = params.getall(name, [])
    if len(values) != 1:
        return None, len(values) > 1
    return (values[0] or None), False


def normalise_url(value: str) -> str | None:
    """Scheme and host lower-cased, trailing ``/`` stripped; ``None`` if not an http(s) URL."""
    # urlsplit silently drops tabs, newlines and leading blanks, and ignores an
    # empty "?" or "#": such a string is not the base URL, so refuse it first.
    if any(ch.isspace() or not ch.isprintable() for ch in value) or "?" in value or "#" in value:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def trusted_client(
    params: MultiMapping[str], registry: Registry, now: datetime
) -> tuple[RegisteredApp, str] | Untrusted:
    client_id, repeated = _single(params, "client_id")
    if repeated:
        return Untrusted("The request names more than one app (client_id is repeated).")
    app = registry.get(client_id) if client_id else None
    if app is None or not app.is_approved(now):
        return Untrusted("The app that sent you here is not registered with this service.")
    redirect_uri, repeated = _single(params, "redirect_uri")
    if repeated:
        return Untrusted("The request has more than one return address (redirect_uri).")
    if redirect_uri is None and len(app.redirect_uris) == 1:
        redirect_uri = app.redirect_uris[0]
    if redirect_uri is None or not app.check_redirect_uri(redirect_uri):
        return Untrusted("The app asked to send you back to an address it did not register.")
    return app, redirect_uri


def check_request(
    params: MultiMapping[str], app: RegisteredApp, redirect_uri: str, fhir_base: str
) -> AuthorizeRequest | Refused:
    values: dict[str, str | None] = {}
    repeated = []
    for name in PARAMETERS:
        values[name], twice = _single(params, name)
        if twice:
            repeated.append(name)
    state = values["state"]
    sent_state = params.getall("state", [])
    echo = sent_state[0] if len(sent_state) == 1 else None  # exact, even when empty

    def refuse(error: str, description: str) -> Refused:
        return Refused(redirect_uri, echo, AppError(error, description))

    if repeated:
        return refuse("invalid_request", f"repeated parameter: {', '.join(repeated)}")
    if values["response_type"] is None:
        return refuse("invalid_request", "response_type is required")
    if values["response_type"] != "code":
        return refuse("unsupported_response_type", "only response_type=code is supported")
    if state is None:
        return refuse("invalid_request", "state is required")
    aud = values["aud"]
    if aud is None or normalise_url(aud) != normalise_url(fhir_base):
        return refuse("invalid_request", "aud must be this server's FHIR base URL")
    challenge = values["code_challenge"]
    if challenge is None:
        return refuse("invalid_request", "code_challenge is required (PKCE)")
    if values["code_challenge_method"] != "S256":
        return refuse("invalid_request", "code_challenge_method must be S256")
    if not CODE_CHALLENGE.fullmatch(challenge):
        return refuse("invalid_request", "code_challenge is not a valid S256 challenge")
    nonce = values["nonce"]
    if nonce is not None and len(nonce) > MAX_NONCE:
        return refuse("invalid_request", "nonce is too long")
    launch = values["launch"]
    kind = LaunchType.EHR if launch is not None else LaunchType.STANDALONE
    if not app.allows_launch(kind):
        return refuse("unauthorized_client", f"this app is not registered for {kind.value} launch")
    requested = values["scope"] or ""
    if launch is not None and "launch" not in requested.split(" "):
        # SMART 2.2 "EHR Launch": the app asks for the launch context with the `launch` scope.
        return refuse("invalid_scope", "an EHR launch must request the launch scope")
    negotiation = negotiate(requested, app.scopes)
    if negotiation.nothing_granted:
        return refuse("invalid_scope", "none of the requested scopes can be granted to this app")
    return AuthorizeRequest(
        app=app,
        redirect_uri=redirect_uri,
        state=state,
        scope_requested=requested,
        scopes_offered=negotiation.granted,
        code_challenge=challenge,
        aud=aud,
        launch=launch,
        nonce=nonce,
    )
