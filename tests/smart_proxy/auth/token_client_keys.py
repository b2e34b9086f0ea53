"""Client key pairs and the assertions, forged JWTs and headers the token tests send.

The defaults of :meth:`ClientKeys.assertion` are the proxy's token endpoint URL and
the tests' start time, both defined here and reused by the harness.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.jwk import ECKey, OctKey, RSAKey

from smart_proxy.auth.client_assertion import ASSERTION_TYPE

START = 1_790_000_000.0  # 2026-09-21T14:13:20Z
PUBLIC_URL = "https://proxy.example.org"
TOKEN_URL = f"{PUBLIC_URL}/auth/token"


@dataclass(frozen=True)
class ClientKeys:
    rsa: RSAKey
    ec: ECKey
    rsa_kid: str = "rsa-key-1"
    ec_kid: str = "ec-key-1"

    @classmethod
    def generate(cls) -> ClientKeys:
        rsa = RSAKey.generate_key(2048, private=True)
        return cls(rsa, ECKey.generate_key("P-384", private=True))

    def public_jwk(self, which: str, kid: str | None = None, **extra: Any) -> dict[str, Any]:
        key, default_kid = (self.rsa, self.rsa_kid) if which == "rsa" else (self.ec, self.ec_kid)
        return {**key.as_dict(private=False), "kid": kid or default_kid, "use": "sig", **extra}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk("rsa"), self.public_jwk("ec")]}

    def assertion(
        self,
        client_id: str,
        *,
        alg: str = "RS384",
        header: Mapping[str, Any] | None = None,
        drop_header: tuple[str, ...] = (),
        claims: Mapping[str, Any] | None = None,
        drop_claims: tuple[str, ...] = (),
        now: float = START,
        key: Any = None,
    ) -> str:
        kid = self.rsa_kid if alg.startswith(("RS", "PS")) else self.ec_kid
        head: dict[str, Any] = {"alg": alg, "kid": kid, "typ": "JWT", **(header or {})}
        body: dict[str, Any] = {
            "iss": client_id, "sub": client_id, "aud": TOKEN_URL,
            "exp": int(now) + 240, "iat": int(now), "jti": uuid.uuid4().hex, **(claims or {}),
        }
        for name in drop_header:
            head.pop(name)
        for name in drop_claims:
            body.pop(name)
        if alg == "none":
            return f"{_b64(head)}.{_b64(body)}."
        signer = key if key is not None else (self.rsa if alg.startswith(("RS", "PS")) else self.ec)
        payload = json.dumps(body).encode()
        return jws.serialize_compact(head, payload, signer, algorithms=[alg])


def forged(header: object, claims: object) -> str:
    """A compact JWS with arbitrary (even non-object) header and payload, badly signed."""
    return f"{_b64(header)}.{_b64(claims)}.c2lnbmF0dXJl"


def hmac_key_from(public_jwk: Mapping[str, Any]) -> OctKey:
    """The classic confusion attack: the client's *public* key bytes as an HMAC secret."""
    return OctKey.import_key(json.dumps(dict(public_jwk), sort_keys=True).encode())


def _b64(part: object) -> str:
    raw = json.dumps(part, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def assertion_form(assertion: str, **more: str) -> dict[str, str]:
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion, **more}


def backend_form(assertion: str, scope: str = "system/Patient.rs", **more: str) -> dict[str, str]:
    """A SMART Backend Services token request authenticated by ``assertion``."""
    return {"grant_type": "client_credentials", "scope": scope, **assertion_form(assertion), **more}


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}
