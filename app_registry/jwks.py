"""Inline public JSON Web Key Sets for ``confidential-asymmetric`` clients.

SMART App Launch "client-confidential-asymmetric" lets a client register its keys
as a JWKS URL or inline; the client then authenticates with ``private_key_jwt``
(RFC 7523), signed RS384 or ES384.  The registry must only ever hold *public*
keys (RFC 7517 §4, RFC 7518 §6): a JWK carrying ``d``, ``p``, ``q``, ``dp``,
``dq``, ``qi``, ``oth`` or a symmetric ``k`` is refused with its own message, and
so is ``kty: oct``.  Beyond the schema: ``kid`` values must be unique (the token
endpoint picks the key by ``kid``) and RSA moduli must have at least 2048 bits.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from typing import Any

from app_registry.errors import KeyPath

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
SIGNING_ALGORITHMS = (
    *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    *("ES256", "ES384", "ES512", "EdDSA"),
)
MIN_RSA_BITS = 2048

_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_B64URL = {
    "type": "string",
    "pattern": r"^[A-Za-z0-9_-]+$(?!\n)",
    "errorMessage": "{value} is not base64url without padding (RFC 7515 section 2)",
}
_KTY = "kty {value} is not RSA, EC or OKP (jwks holds public keys; no 'oct' secrets)"
_PRIVATE = "private key member {!r} must not be registered: jwks holds public keys only"


def _needs(kty: str, *members: str) -> dict[str, Any]:
    condition = {"type": "object", "properties": {"kty": {"const": kty}}, "required": ["kty"]}
    return {"if": condition, "then": {"required": list(members)}}


JWK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kty"],
    "properties": {
        "kty": {"enum": ["RSA", "EC", "OKP"], "errorMessage": _KTY},
        "use": {"const": "sig", "errorMessage": "use must be 'sig': client keys sign assertions"},
        "key_ops": {"type": "array", "items": {"const": "verify"}, "minItems": 1},
        "alg": {"enum": list(SIGNING_ALGORITHMS)},
        "kid": _TEXT,
        "x5u": {"type": "string", "minLength": 1, "maxLength": 2048, "format": "uri"},
        "x5c": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "x5t": _TEXT,
        "x5t#S256": _TEXT,
        "n": _B64URL,
        "e": _B64URL,
        "crv": {"enum": ["P-256", "P-384", "P-521", "Ed25519"]},
        "x": _B64URL,
        "y": _B64URL,
        **{m: {"not": {}, "errorMessage": _PRIVATE.format(m)} for m in PRIVATE_MEMBERS},
    },
    "allOf": [_needs("RSA", "n", "e"), _needs("EC", "crv", "x", "y"), _needs("OKP", "crv", "x")],
}
JWKS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["keys"],
    "properties": {"keys": {"type": "array", "items": JWK_SCHEMA, "minItems": 1}},
}


def rsa_modulus_bits(modulus: str) -> int | None:
    """Bit length of a base64url RSA modulus, or None if it does not decode."""
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except (binascii.Error, ValueError):
        return None
    return int.from_bytes(raw, "big").bit_length()


def key_problems(keys: Any) -> Iterator[tuple[KeyPath, str]]:
    """Unique ``kid`` values and strong-enough RSA keys; paths are relative to ``keys``."""
    seen: dict[str, int] = {}
    for index, key in enumerate(keys if isinstance(keys, list) else []):
        if not isinstance(key, Mapping):
            continue
        kid = key.get("kid")
        if isinstance(kid, str):
            if kid in seen:
                yield (index, "kid"), f"duplicate kid {kid!r} (also keys[{seen[kid]}])"
            seen.setdefault(kid, index)
        modulus = key.get("n")
        if key.get("kty") == "RSA" and isinstance(modulus, str):
            bits = rsa_modulus_bits(modulus)
            if bits is None:
                yield (index, "n"), "is not valid base64url"
            elif bits < MIN_RSA_BITS:
                message = f"RSA key is {bits} bits; at least {MIN_RSA_BITS} are required"
                yield (index, "n"), message
