"""``private_key_jwt``: a client authenticates with a JWT it signed (RFC 7523 §2.2, §3).

SMART App Launch 2.2, client-confidential-asymmetric.html, "Authenticating to
the Token endpoint", and Backend Services use this profile.  The checks, in order:

1. header: ``alg`` RS384 or ES384 (never ``none``, never HMAC: a registered public
   key must not double as an HMAC secret), ``kid`` present, ``typ`` = ``JWT``
   (compared case-insensitively, as media types are: RFC 7515 §4.1.9), no ``crit``;
2. ``iss`` = ``sub`` = a registered, approved ``confidential-asymmetric`` client;
3. ``jku``, if present, equals the client's registered ``jwks_uri`` exactly (we
   never fetch a URL the JWT names);
4. key: the single registered key whose ``kid`` matches and whose ``kty`` fits
   ``alg`` (RSA / EC P-384), public, usable for verification; zero or several
   matches fail (SMART "Signature Verification");
5. signature, then claims: ``aud`` is our token endpoint URL exactly; ``exp``
   present, not past (:data:`PAST_LEEWAY_S`) and at most five minutes ahead
   (:data:`MAX_LIFETIME_S` + :data:`FUTURE_SKEW_S`); ``nbf``, if present, not
   ahead; ``jti`` present;
6. ``jti`` never seen before for this ``iss`` (kept until ``exp`` + leeway with the
   store's atomic ``add``), so a captured assertion cannot be replayed.

Every failure is ``invalid_client`` (401); the description says which rule failed
but never echoes the JWT.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, TypeGuard

import orjson
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from app_registry import ClientType, RegisteredApp, Registry
from app_registry.jwks import MIN_RSA_BITS, PRIVATE_MEMBERS, rsa_modulus_bits

from ..state import StateStore
from .client_jwks import ClientJwks, JwksFetchError
from .oauth_errors import InvalidClient

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: alg -> (kty, EC curve or None)
ALGORITHMS: dict[str, tuple[str, str | None]] = {"RS384": ("RSA", None), "ES384": ("EC", "P-384")}
MAX_LIFETIME_S = 300
FUTURE_SKEW_S = 30
PAST_LEEWAY_S = 60
JTI_NS = "assertion_jti"
_MAX_JTI = 256

PublicKey = RSAKey | ECKey


async def verify_client_assertion(
    assertion: str,
    *,
    registry: Registry,
    jwks_cache: ClientJwks,
    store: StateStore,
    token_url: str,
    now: float,
) -> RegisteredApp:
    """The client the assertion authenticates; ``InvalidClient`` otherwise."""
    header, unverified = _unverified_parts(assertion)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise InvalidClient("The client assertion must be signed with RS384 or ES384.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidClient("The client assertion header has no kid.")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise InvalidClient("The client assertion header typ must be JWT.")
    if "crit" in header:
        raise InvalidClient("The client assertion uses unsupported critical header parameters.")
    app = _issuer(unverified, registry, now)
    jku = header.get("jku")
    if jku is not None and (app.jwks_uri is None or jku != app.jwks_uri):
        raise InvalidClient("The client assertion jku is not the client's registered JWKS URL.")
    key = await _resolve_key(app, kid, alg, jwks_cache)
    try:
        claims = dict(jwt.decode(assertion, key, algorithms=[alg]).claims)
    except (JoseError, ValueError, TypeError):
        raise InvalidClient("The client assertion signature is not valid.") from None
    _check_claims(claims, app.client_id, token_url, now)
    await _remember_jti(store, app.client_id, claims["jti"], float(claims["exp"]), now)
    return app


def _unverified_parts(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        compact = jws.extract_compact(assertion.encode("ascii"))
        claims = orjson.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise InvalidClient("The client assertion is not a compact JWS.") from None
    if not isinstance(claims, dict):
        raise InvalidClient("The client assertion payload is not a JSON object.")
    return dict(compact.headers()), claims


def _issuer(claims: dict[str, Any], registry: Registry, now: float) -> RegisteredApp:
    iss = claims.get("iss")
    if not isinstance(iss, str) or claims.get("sub") != iss:
        raise InvalidClient("The client assertion iss and sub must both be the client_id.")
    app = registry.get(iss)
    if app is None or app.client_type is not ClientType.CONFIDENTIAL_ASYMMETRIC:
        raise InvalidClient("The client assertion does not name a registered asymmetric client.")
    if not app.is_approved(datetime.fromtimestamp(now, UTC)):
        raise InvalidClient("This client is not approved.")
    return app


async def _resolve_key(app: RegisteredApp, kid: str, alg: str, cache: ClientJwks) -> PublicKey:
    inline = app.jwks
    key: PublicKey | None = None
    if inline is not None:
        key = select_key(inline, kid, alg)
    elif app.jwks_uri is not None:
        try:
            key = await cache.find(app.jwks_uri, lambda jwks: select_key(jwks, kid, alg))
        except JwksFetchError as exc:
            raise InvalidClient(f"The client's JWKS is unavailable: {exc}.") from None
    if key is None:
        raise InvalidClient("No registered key matches the client assertion's kid and alg.")
    return key


def select_key(jwks: dict[str, Any], kid: str, alg: str) -> PublicKey | None:
    """The one usable public key for ``kid`` and ``alg``; ``None`` if there is none.

    Several matching keys are an error (``InvalidClient``): choosing one would let
    whoever controls the JWKS order decide which key is trusted.
    """
    kty, curve = ALGORITHMS[alg]
    keys = jwks.get("keys")
    matches = [
        jwk
        for jwk in (keys if isinstance(keys, list) else [])
        if isinstance(jwk, dict)
        and jwk.get("kid") == kid
        and jwk.get("kty") == kty
        and _usable(jwk, alg, curve)
    ]
    if len(matches) > 1:
        raise InvalidClient("Several registered keys match the client assertion's kid and alg.")
    if not matches:
        return None
    public = {k: v for k, v in matches[0].items() if k in ("kty", "kid", "n", "e", "crv", "x", "y")}
    try:
        return RSAKey.import_key(public) if kty == "RSA" else ECKey.import_key(public)
    except (JoseError, ValueError, TypeError):
        raise InvalidClient("The matching registered key cannot be used.") from None


def _usable(jwk: dict[str, Any], alg: str, curve: str | None) -> bool:
    if any(member in jwk for member in PRIVATE_MEMBERS):
        return False
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
        return False
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return False
    if curve is not None:
        return jwk.get("crv") == curve
    modulus = jwk.get("n")
    bits = rsa_modulus_bits(modulus) if isinstance(modulus, str) else None
    return bits is not None and bits >= MIN_RSA_BITS


def _check_claims(claims: dict[str, Any], client_id: str, token_url: str, now: float) -> None:
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise InvalidClient("The client assertion iss and sub must both be the client_id.")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if token_url not in audiences:
        raise InvalidClient("The client assertion aud must be this server's token endpoint URL.")
    exp = claims.get("exp")
    if not _is_number(exp):
        raise InvalidClient("The client assertion has no numeric exp.")
    if exp < now - PAST_LEEWAY_S:
        raise InvalidClient("The client assertion has expired.")
    if exp > now + MAX_LIFETIME_S + FUTURE_SKEW_S:
        raise InvalidClient("The client assertion exp is more than five minutes ahead.")
    nbf = claims.get("nbf")
    if nbf is not None and (not _is_number(nbf) or nbf > now + FUTURE_SKEW_S):
        raise InvalidClient("The client assertion is not valid yet.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > _MAX_JTI:
        raise InvalidClient("The client assertion has no jti.")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


async def _remember_jti(store: StateStore, iss: str, jti: str, exp: float, now: float) -> None:
    key = hashlib.sha256(f"{iss}\x00{jti}".encode()).hexdigest()
    ttl = max(1.0, exp + PAST_LEEWAY_S - now)
    if not await store.add(JTI_NS, key, {"exp": exp}, ttl=ttl):
        raise InvalidClient("The client assertion jti was already used.")
