"""The key that signs id_tokens, and the JWKS that publishes its public half.

OpenID Connect Core §10.1: id_tokens are signed (RS256 here, the algorithm every
relying party must support, §15.1).  The private key is a PEM file named by the
``signing_key`` setting, shared by all replicas; the embedded one-process
default generates one at start-up (tokens then do not survive a restart).
The ``kid`` is the RFC 7638 thumbprint, so it changes when the key changes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

ALGORITHM = "RS256"


class SigningKeyError(ValueError):
    pass


class SigningKey:
    def __init__(self, key: RSAKey) -> None:
        if not key.is_private:
            raise SigningKeyError("the signing key must be a private RSA key")
        self._key = key
        self.kid = key.thumbprint()

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(RSAKey.generate_key(2048, private=True))

    @classmethod
    def from_file(cls, path: Path) -> SigningKey:
        try:
            key = RSAKey.import_key(path.read_bytes())
        except FileNotFoundError:
            raise SigningKeyError(f"{path}: signing key file not found") from None
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{path}: not a PEM RSA private key ({type(exc).__name__})") from None
        return cls(key)

    def jwks(self) -> dict[str, Any]:
        public = self._key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": ALGORITHM, "kid": self.kid, "typ": "JWT"}, claims, self._key)

    def verify(self, token: str) -> dict[str, Any]:
        """Decode and verify a token this key signed (used by introspection and tests)."""
        return dict(jwt.decode(token, self._key, algorithms=[ALGORITHM]).claims)


def write_new_key(path: Path) -> str:
    """Create a new private key file readable only by its owner; returns the ``kid``."""
    key = SigningKey.generate()
    pem = key._key.as_pem(private=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key.kid
