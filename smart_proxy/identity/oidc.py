"""Production login through the portal's OpenID Connect provider (authorization code + PKCE).

Flow (OpenID Connect Core 1.0 §3.1, "Authentication using the Authorization Code Flow"):

1. :meth:`OidcLogin.discover` reads ``{issuer}/.well-known/openid-configuration``
   (OpenID Connect Discovery 1.0 §4; its ``issuer`` must equal ours exactly, §4.3)
   and the provider's JWKS, both cached for ``cache_ttl_s``;
2. :meth:`OidcLogin.authorization_url` sends the browser to the provider with
   ``state``, ``nonce`` and an RFC 7636 S256 ``code_challenge``;
3. :meth:`OidcLogin.complete` redeems the code at the token endpoint with
   ``client_secret_basic`` (RFC 6749 §2.3.1: id and secret form-encoded first)
   and validates the ID token: an RS256/ES256 signature from the JWKS (an unknown
   ``kid`` refetches the JWKS once: the provider may have rotated its keys), then
   the claims (:func:`~smart_proxy.identity.oidc_claims.check_claims`), then the
   configured fhirUser claim.

JOSE is done by joserfc, authlib's successor library for it (``authlib.jose``
is deprecated).  HTTP goes through the caller's ``aiohttp.ClientSession``; every
call has a timeout and a response-size cap.  Every failure is an
:class:`~smart_proxy.identity.oidc_claims.OidcError` with a safe message.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import orjson
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from yarl import URL

from smart_proxy.config.model import OidcConfig
from smart_proxy.identity.oidc_claims import OidcError, check_claims, fhir_user_reference

ALGORITHMS = ("RS256", "ES256")
MAX_RESPONSE_BYTES = 1 << 20


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class OidcIdentity:
    """Who logged in.  ``claims`` (names, e-mail, ...) are left out of ``repr``."""

    subject: str
    fhir_user: str
    claims: Mapping[str, Any] = field(repr=False)


def s256_challenge(code_verifier: str) -> str:
    """RFC 7636 §4.2: ``BASE64URL(SHA256(ASCII(code_verifier)))`` without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _endpoint(document: Mapping[str, Any], name: str, issuer_scheme: str) -> str:
    value = document.get(name)
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or not parts.netloc or parts.scheme not in ("https", issuer_scheme):
        raise OidcError(f"the identity provider's discovery document has no valid {name}")
    return str(value)


class OidcLogin:
    def __init__(
        self,
        config: OidcConfig,
        session: aiohttp.ClientSession,
        clock: Callable[[], float],
        *,
        cache_ttl_s: float = 3600.0,
        leeway_s: float = 60.0,
        timeout_s: float = 10.0,
    ) -> None:
        self._config = config
        self._session = session
        self._clock = clock
        self._cache_ttl_s = cache_ttl_s
        self._leeway_s = leeway_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._metadata: tuple[ProviderMetadata, float] | None = None
        self._keys: KeySet | None = None
        self._lock = asyncio.Lock()

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._session.request(
                method, url, timeout=self._timeout, allow_redirects=False, **kwargs
            ) as resp:
                body = bytearray()
                async for chunk in resp.content.iter_chunked(65536):
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise OidcError("the identity provider's response is too large")
                status = resp.status
            document = orjson.loads(body)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise OidcError("the identity provider could not be reached or answered badly") from exc
        if status != 200 or not isinstance(document, dict):
            raise OidcError(f"the identity provider answered HTTP {status}")
        return document

    def _fresh(self, fetched_at: float) -> bool:
        return self._clock() - fetched_at < self._cache_ttl_s

    async def _fetch_keys(self, jwks_uri: str) -> KeySet:
        document = await self._json("GET", jwks_uri)
        keys = document.get("keys")
        usable = (
            [
                key
                for key in keys
                if isinstance(key, dict)
                and key.get("kty") in ("RSA", "EC")
                and key.get("use", "sig") == "sig"
            ]
            if isinstance(keys, list)
            else []
        )
        try:
            key_set = KeySet.import_key_set({"keys": usable})
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError("the identity provider's JWKS is not valid") from exc
        if not usable:
            raise OidcError("the identity provider's JWKS has no signing keys")
        self._keys = key_set
        return key_set

    async def discover(self) -> ProviderMetadata:
        """The provider's endpoints, from the cache or freshly fetched (with its JWKS)."""
        async with self._lock:
            if self._metadata is not None and self._fresh(self._metadata[1]):
                return self._metadata[0]
            issuer = self._config.issuer
            document = await self._json(
                "GET", issuer.rstrip("/") + "/.well-known/openid-configuration"
            )
            if document.get("issuer") != issuer:
                raise OidcError("the identity provider's discovery document names another issuer")
            scheme = urlsplit(issuer).scheme
            metadata = ProviderMetadata(
                issuer=issuer,
                authorization_endpoint=_endpoint(document, "authorization_endpoint", scheme),
                token_endpoint=_endpoint(document, "token_endpoint", scheme),
                jwks_uri=_endpoint(document, "jwks_uri", scheme),
            )
            await self._fetch_keys(metadata.jwks_uri)
            self._metadata = (metadata, self._clock())
            return metadata

    async def authorization_url(
        self,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_verifier: str,
        extra: Mapping[str, str] | None = None,
    ) -> str:
        """Where to send the browser to log in (OIDC Core §3.1.2.1, RFC 7636 §4.3).

        ``extra`` adds optional OIDC parameters such as ``max_age`` or ``acr_values``
        (step-up before consent); it cannot replace the ones set here.
        """
        metadata = await self.discover()
        scopes = list(dict.fromkeys(("openid", *self._config.scopes)))
        query = {
            "response_type": "code",
            "client_id": self._config.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": s256_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        query = {**(extra or {}), **query}
        return str(URL(metadata.authorization_endpoint).extend_query(query))

    async def _redeem(self, metadata: ProviderMetadata, form: dict[str, str]) -> str:
        headers = {"Accept": "application/json"}
        secret = self._config.client_secret
        if secret is None:
            form = {**form, "client_id": self._config.client_id}
        else:
            pair = f"{quote(self._config.client_id, safe='')}:{quote(secret.value, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        document = await self._json("POST", metadata.token_endpoint, data=form, headers=headers)
        id_token = document.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the identity provider returned no ID token")
        return id_token

    def _verify(self, id_token: str, key_set: KeySet) -> dict[str, Any] | None:
        """The token's claims if its signature is good; ``None`` if its ``kid`` is unknown."""
        try:
            return dict(jwt.decode(id_token, key_set, algorithms=ALGORITHMS).claims)
        except InvalidKeyIdError:
            return None
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError("the ID token's signature is not valid") from exc

    async def _decode(self, metadata: ProviderMetadata, id_token: str) -> dict[str, Any]:
        key_set = self._keys or await self._fetch_keys(metadata.jwks_uri)
        claims = self._verify(id_token, key_set)
        if claims is None:  # the provider may have rotated its keys: refetch, once
            claims = self._verify(id_token, await self._fetch_keys(metadata.jwks_uri))
        if claims is None:
            raise OidcError(
                "the ID token was signed with a key the identity provider does not publish"
            )
        return claims

    async def complete(
        self, code: str, redirect_uri: str, code_verifier: str, expected_nonce: str
    ) -> OidcIdentity:
        """Redeem ``code`` and return the validated identity, or raise :class:`OidcError`."""
        metadata = await self.discover()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        claims = await self._decode(metadata, await self._redeem(metadata, form))
        subject = check_claims(
            claims,
            issuer=metadata.issuer,
            client_id=self._config.client_id,
            nonce=expected_nonce,
            now=self._clock(),
            leeway_s=self._leeway_s,
        )
        fhir_user = fhir_user_reference(claims.get(self._config.fhir_user_claim))
        if fhir_user is None:
            raise OidcError("the identity provider did not say which FHIR user this is")
        return OidcIdentity(subject=subject, fhir_user=fhir_user, claims=claims)
