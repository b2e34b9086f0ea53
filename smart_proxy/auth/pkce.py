"""PKCE at the token endpoint (RFC 7636 §4.5-4.6, SMART App Launch 2.2 §"PKCE").

SMART 2.2 requires S256 for every client; the authorize side accepts only S256
challenges, so a stored code always carries one.  Here:

* a missing (or empty, RFC 6749 §3.1) ``code_verifier`` and one that breaks the
  RFC 7636 §4.1 syntax (43-128 of ``[A-Za-z0-9-._~]``) are ``invalid_request``,
  checked *before* the code is consumed;
* a verifier whose S256 hash differs from the stored challenge -- including the
  "plain" trick of sending the challenge itself -- is ``invalid_grant``;
* a code stored without a challenge, or with a method other than S256, never
  validates (RFC 9700 §2.1.1: a verifier must not be accepted when no challenge
  was bound to the code).

The hash is compared with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hmac
import re

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from .oauth_errors import InvalidGrant, InvalidRequest

VERIFIER_SYNTAX = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def checked_verifier(verifier: str | None) -> str:
    """``verifier`` if it is present and well-formed; ``invalid_request`` otherwise."""
    if verifier is None:
        raise InvalidRequest("code_verifier is required (PKCE, RFC 7636).")
    if not VERIFIER_SYNTAX.fullmatch(verifier):
        raise InvalidRequest("code_verifier must be 43-128 characters of [A-Za-z0-9-._~].")
    return verifier


def verify_code_verifier(challenge: str, verifier: str, method: str = "S256") -> None:
    """``invalid_grant`` unless ``method`` is S256 and ``BASE64URL(SHA256(verifier))``
    equals ``challenge``."""
    if not challenge or method != "S256":
        raise InvalidGrant("The authorization code has no S256 PKCE challenge.")
    if hmac.compare_digest(verifier.encode("ascii"), challenge.encode("ascii")):
        raise InvalidGrant("code_verifier must not be the code_challenge itself.")
    computed = create_s256_code_challenge(verifier)
    if not hmac.compare_digest(computed.encode("ascii"), challenge.encode("ascii", "replace")):
        raise InvalidGrant("code_verifier does not match the code_challenge.")
