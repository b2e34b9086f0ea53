"""Checks on a decoded OpenID Connect ID token's claims, and the fhirUser mapping.

The claim rules are OpenID Connect Core 1.0 §3.1.3.7 ("ID Token Validation")
items 2-5 and 9-11, plus §2's ``sub`` ("MUST NOT exceed 255 ASCII characters").
The signature (item 6) is checked before these run, in :mod:`smart_proxy.identity.oidc`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

FHIR_USER_TYPES = ("Patient", "Practitioner", "RelatedPerson")
_REFERENCE = re.compile(
    r"(?:^|/)(" + "|".join(FHIR_USER_TYPES) + r")/((?!\.{1,2}$)[A-Za-z0-9.-]{1,64})$"
)


class OidcError(Exception):
    """Login through the OpenID Connect provider failed.

    The message is safe to show and to log: it never holds a token, a code or a claim value.
    """


def fhir_user_reference(value: object) -> str | None:
    """``Type/id`` for a relative or absolute http(s) reference to a FHIR user, else ``None``.

    ``https://ehr.example/fhir/Patient/p1`` and ``Patient/p1`` both give ``Patient/p1``.
    Only Patient, Practitioner and RelatedPerson are accepted (SMART App Launch 2.2
    "fhirUser"; Inferno also rejects PractitionerRole).
    """
    if not isinstance(value, str) or not value.isascii():
        return None
    if "://" in value:
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            return None
        match = _REFERENCE.search(parts.path)
        return f"{match[1]}/{match[2]}" if match and "/_history/" not in parts.path else None
    match = _REFERENCE.fullmatch(value)
    return f"{match[1]}/{match[2]}" if match and "/" not in value[: match.start(1)] else None


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OidcError(f"the ID token has no valid '{name}' claim")
    return float(value)


def check_claims(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: float,
    leeway_s: float,
) -> str:
    """Apply the OIDC Core §3.1.3.7 claim checks; returns ``sub`` or raises :class:`OidcError`."""
    if claims.get("iss") != issuer:
        raise OidcError("the ID token was issued by another issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise OidcError("the ID token is not meant for this client")
    azp = claims.get("azp")
    if (len(audiences) > 1 and azp is None) or (azp is not None and azp != client_id):
        raise OidcError("the ID token's authorized party is not this client")
    if _number(claims, "exp") + leeway_s <= now:
        raise OidcError("the ID token has expired")
    if _number(claims, "iat") - leeway_s > now:
        raise OidcError("the ID token was issued in the future")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise OidcError("the ID token's nonce does not match this login")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise OidcError("the ID token has no valid 'sub' claim")
    return subject
