"""The OpenID Connect ``id_token`` issued when ``openid`` is granted.

OpenID Connect Core 1.0 §2 (required claims ``iss sub aud exp iat``, ``auth_time``
and ``nonce`` when known/sent) and SMART App Launch 2.2 §"Scopes for requesting
identity data": with ``fhirUser`` granted the token carries ``fhirUser``, "the
absolute URL of the FHIR resource representing the current user" (Patient,
Practitioner, RelatedPerson or Person).  Signed RS256 with the server key whose
public half is at ``jwks_uri`` (:mod:`smart_proxy.auth.signing`).  ``sub`` is the
local username (stable, not reassigned) or, failing that, the fhirUser reference;
it is at most 255 characters (OIDC Core §2).
"""

from __future__ import annotations

from typing import Any

from yarl import URL

MAX_SUBJECT = 255


def subject_of(username: str | None, fhir_user: str | None) -> str | None:
    for candidate in (username, fhir_user):
        if candidate and len(candidate) <= MAX_SUBJECT:
            return candidate
    return None


def fhir_user_url(fhir_base: URL, fhir_user: str) -> str:
    """``Patient/123`` → ``{fhir_base}/Patient/123``; an absolute URL stays as it is."""
    if fhir_user.startswith(("https://", "http://")):
        return fhir_user
    return f"{str(fhir_base).rstrip('/')}/{fhir_user.lstrip('/')}"


def id_token_claims(
    *,
    issuer: str,
    client_id: str,
    subject: str,
    now: float,
    expires_at: float,
    auth_time: float | None = None,
    nonce: str | None = None,
    fhir_user: str | None = None,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": client_id,
        "exp": int(expires_at),
        "iat": int(now),
    }
    if auth_time is not None:
        claims["auth_time"] = int(auth_time)
    if nonce is not None:
        claims["nonce"] = nonce
    if fhir_user is not None:
        claims["fhirUser"] = fhir_user
    return claims
