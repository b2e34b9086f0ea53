"""OIDC login against a small OpenID provider written here (aiohttp app, joserfc-signed tokens).

The provider serves discovery, a JWKS and a token endpoint.  Tests register an
authorization code with the claims (and signing key) they want the ID token to
have, then call :meth:`OidcLogin.complete` as the proxy's callback would.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import aiohttp
import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from smart_proxy.config.model import OidcConfig, Secret
from smart_proxy.identity import OidcError, OidcIdentity, OidcLogin
from smart_proxy.identity.oidc import s256_challenge

from .conftest import FakeClock

CLIENT_ID = "smart-proxy"
CLIENT_SECRET = "s3cret:with/odd+chars"
REDIRECT = "https://proxy.example/oidc/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
NONCE = "n-0S6_WzA2Mj"
DROP = object()  # a claim value meaning "leave this claim out"


def rsa(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)


@dataclass
class Provider:
    clock: FakeClock
    issuer: str = ""
    keys: list[Any] = field(default_factory=lambda: [rsa("k1")])
    published: list[Any] = field(default_factory=list)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=lambda: {"discovery": 0, "jwks": 0, "token": 0})
    token_forms: list[dict[str, str]] = field(default_factory=list)
    discovery_overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.published = list(self.keys)

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(self.clock())
        claims = {
            "iss": self.issuer,
            "sub": "user-123",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": NONCE,
            "fhirUser": "Patient/p1",
            "name": "Amy",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not DROP}

    def register(
        self,
        code: str = "code-1",
        *,
        key: Any = None,
        alg: str = "RS256",
        raw_token: str | None = None,
        **changes: Any,
    ) -> str:
        key = self.keys[0] if key is None else key
        header = {"alg": alg, "typ": "JWT"}
        if key.kid is not None:
            header["kid"] = key.kid
        token = raw_token or jwt.encode(header, self.claims(**changes), key, algorithms=[alg])
        self.codes[code] = {"id_token": token, "challenge": s256_challenge(VERIFIER)}
        return code

    async def discovery(self, _request: web.Request) -> web.Response:
        self.hits["discovery"] += 1
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize?tenant=t1",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            **self.discovery_overrides,
        }
        return web.json_response(document)

    async def jwks(self, _request: web.Request) -> web.Response:
        self.hits["jwks"] += 1
        return web.json_response({"keys": [k.as_dict(private=False) for k in self.published]})

    async def token(self, request: web.Request) -> web.Response:
        self.hits["token"] += 1
        form = dict((await request.post()).items())
        self.token_forms.append({k: str(v) for k, v in form.items()})
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        if scheme != "Basic" or (unquote(user), unquote(password)) != (CLIENT_ID, CLIENT_SECRET):
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("redirect_uri") != REDIRECT:
            return web.json_response({"error": "invalid_grant"}, status=400)
        if s256_challenge(str(form.get("code_verifier"))) != grant["challenge"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        return web.json_response(
            {"access_token": "at", "token_type": "Bearer", "id_token": grant["id_token"]}
        )


@pytest.fixture
async def provider(aiohttp_server: Any, clock: FakeClock) -> Provider:
    idp = Provider(clock)
    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", idp.discovery)
    app.router.add_get("/jwks", idp.jwks)
    app.router.add_post("/token", idp.token)
    server = await aiohttp_server(app)
    idp.issuer = str(server.make_url("")).rstrip("/")
    return idp


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def login(provider: Provider, session: aiohttp.ClientSession, clock: FakeClock) -> OidcLogin:
    config = OidcConfig(
        issuer=provider.issuer, client_id=CLIENT_ID, client_secret=Secret(CLIENT_SECRET)
    )
    return OidcLogin(config, session, clock)


async def complete(login: OidcLogin, code: str = "code-1", nonce: str = NONCE) -> OidcIdentity:
    return await login.complete(code, REDIRECT, VERIFIER, nonce)


async def test_the_happy_path(provider: Provider, login: OidcLogin) -> None:
    provider.register()
    identity = await complete(login)
    assert (identity.subject, identity.fhir_user) == ("user-123", "Patient/p1")
    assert identity.claims["name"] == "Amy"
    assert "Amy" not in repr(identity)
    assert provider.token_forms == [
        {
            "grant_type": "authorization_code",
            "code": "code-1",
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
        }
    ]
    assert provider.hits == {"discovery": 1, "jwks": 1, "token": 1}


async def test_the_authorization_url(provider: Provider, login: OidcLogin) -> None:
    url = await login.authorization_url(REDIRECT, "st-1", NONCE, VERIFIER, {"max_age": "300"})
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == provider.issuer + "/authorize"
    assert dict(parse_qsl(parts.query)) == {
        "tenant": "t1",
        "max_age": "300",
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid profile email",
        "state": "st-1",
        "nonce": NONCE,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }


def _none_token(provider: Provider) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(provider.claims())}."


CLOCK_NOW = 1_750_000_020
REJECTED: list[tuple[str, dict[str, Any], str]] = [
    ("bad signature", {"key": rsa("k1")}, "the ID token's signature is not valid"),
    (
        "HS256 with a shared key",
        {"key": OctKey.generate_key(256, parameters={"kid": "k1"}), "alg": "HS256"},
        "the ID token's signature is not valid",
    ),
    ("alg none", {"raw": "none"}, "the ID token's signature is not valid"),
    ("not a JWT", {"raw": "not.a.jwt"}, "the ID token's signature is not valid"),
    ("wrong iss", {"iss": "https://evil.example"}, "the ID token was issued by another issuer"),
    ("iss with a slash", {"iss": "<issuer>/"}, "the ID token was issued by another issuer"),
    ("no iss", {"iss": DROP}, "the ID token was issued by another issuer"),
    ("wrong aud", {"aud": "other-client"}, "the ID token is not meant for this client"),
    ("aud list without us", {"aud": ["a", "b"]}, "the ID token is not meant for this client"),
    ("no aud", {"aud": DROP}, "the ID token is not meant for this client"),
    (
        "two auds, no azp",
        {"aud": [CLIENT_ID, "other"]},
        "the ID token's authorized party is not this client",
    ),
    (
        "two auds, other azp",
        {"aud": [CLIENT_ID, "other"], "azp": "other"},
        "the ID token's authorized party is not this client",
    ),
    ("expired", {"exp": CLOCK_NOW - 61}, "the ID token has expired"),
    ("expired at the leeway", {"exp": CLOCK_NOW - 60}, "the ID token has expired"),
    ("no exp", {"exp": DROP}, "the ID token has no valid 'exp' claim"),
    ("exp as text", {"exp": str(CLOCK_NOW + 300)}, "the ID token has no valid 'exp' claim"),
    ("iat in the future", {"iat": CLOCK_NOW + 61}, "the ID token was issued in the future"),
    ("no iat", {"iat": DROP}, "the ID token has no valid 'iat' claim"),
    ("wrong nonce", {"nonce": "other-nonce"}, "the ID token's nonce does not match this login"),
    ("no nonce", {"nonce": DROP}, "the ID token's nonce does not match this login"),
    ("no sub", {"sub": DROP}, "the ID token has no valid 'sub' claim"),
    ("empty sub", {"sub": ""}, "the ID token has no valid 'sub' claim"),
    ("sub too long", {"sub": "s" * 256}, "the ID token has no valid 'sub' claim"),
    (
        "no fhirUser",
        {"fhirUser": DROP},
        "the identity provider did not say which FHIR user this is",
    ),
    (
        "PractitionerRole",
        {"fhirUser": "PractitionerRole/r1"},
        "the identity provider did not say which FHIR user this is",
    ),
    (
        "fhirUser a list",
        {"fhirUser": ["Patient/p1"]},
        "the identity provider did not say which FHIR user this is",
    ),
]


@pytest.mark.parametrize(
    ("changes", "message"), [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED]
)
async def test_a_bad_id_token_is_refused(
    provider: Provider, login: OidcLogin, changes: dict[str, Any], message: str
) -> None:
    changes = dict(changes)
    raw = changes.pop("raw", None)
    if raw is not None:
        changes["raw_token"] = _none_token(provider) if raw == "none" else raw
    if changes.get("iss") == "<issuer>/":
        changes["iss"] = provider.issuer + "/"
    provider.register(**changes)
    with pytest.raises(OidcError) as caught:
        await complete(login)
    assert str(caught.value) == message


ACCEPTED: list[tuple[str, dict[str, Any], str]] = [
    ("aud as a list", {"aud": [CLIENT_ID]}, "Patient/p1"),
    ("two auds with our azp", {"aud": [CLIENT_ID, "other"], "azp": CLIENT_ID}, "Patient/p1"),
    ("one aud with our azp", {"azp": CLIENT_ID}, "Patient/p1"),
    ("expired within the leeway", {"exp": CLOCK_NOW - 59}, "Patient/p1"),
    ("iat slightly ahead", {"iat": CLOCK_NOW + 60}, "Patient/p1"),
    ("absolute fhirUser", {"fhirUser": "https://ehr.example/fhir/Patient/p1"}, "Patient/p1"),
    ("practitioner", {"fhirUser": "Practitioner/prac-1"}, "Practitioner/prac-1"),
    (
        "related person",
        {"fhirUser": "http://ehr.example/R4/RelatedPerson/rp-1"},
        "RelatedPerson/rp-1",
    ),
    (
        "ES256",
        {
            "key": ECKey.generate_key("P-256", parameters={"kid": "ec1"}, private=True),
            "alg": "ES256",
        },
        "Patient/p1",
    ),
]


@pytest.mark.parametrize(
    ("changes", "fhir_user"), [case[1:] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED]
)
async def test_valid_variations_are_accepted(
    provider: Provider, login: OidcLogin, changes: dict[str, Any], fhir_user: str
) -> None:
    if "key" in changes:
        provider.published.append(changes["key"])
    provider.register(**changes)
    assert (await complete(login)).fhir_user == fhir_user


async def test_rotated_keys_are_refetched_once(provider: Provider, login: OidcLogin) -> None:
    await login.discover()
    assert provider.hits["jwks"] == 1
    provider.keys = provider.published = [rsa("k2")]  # the provider rotates
    provider.register()
    assert (await complete(login)).subject == "user-123"
    assert provider.hits["jwks"] == 2
    provider.register("code-2")
    await complete(login, "code-2")
    assert provider.hits["jwks"] == 2  # the new key is cached now


async def test_an_unpublished_kid_is_refused_after_one_refetch(
    provider: Provider, login: OidcLogin
) -> None:
    provider.register(key=rsa("k-unknown"))
    with pytest.raises(
        OidcError,
        match="^the ID token was signed with a key the identity provider does not publish$",
    ):
        await complete(login)
    assert provider.hits["jwks"] == 2


async def test_discovery_is_cached_for_its_ttl(
    provider: Provider, login: OidcLogin, clock: FakeClock
) -> None:
    first = await login.discover()
    clock.advance(3599)
    assert await login.discover() == first
    assert provider.hits == {"discovery": 1, "jwks": 1, "token": 0}
    clock.advance(1)
    await login.discover()
    assert provider.hits == {"discovery": 2, "jwks": 2, "token": 0}
    assert first.token_endpoint == provider.issuer + "/token"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"issuer": "https://other.example"},
            "the identity provider's discovery document names another issuer",
        ),
        (
            {"token_endpoint": None},
            ("the identity provider's discovery document has no valid token_endpoint"),
        ),
        (
            {"jwks_uri": "ftp://x.example/jwks"},
            ("the identity provider's discovery document has no valid jwks_uri"),
        ),
        (
            {"authorization_endpoint": "/relative"},
            ("the identity provider's discovery document has no valid authorization_endpoint"),
        ),
    ],
)
async def test_a_bad_discovery_document_is_refused(
    provider: Provider, login: OidcLogin, overrides: dict[str, Any], message: str
) -> None:
    provider.discovery_overrides = overrides
    with pytest.raises(OidcError) as caught:
        await login.discover()
    assert str(caught.value) == message


async def test_token_endpoint_errors(provider: Provider, login: OidcLogin) -> None:
    with pytest.raises(OidcError, match="^the identity provider answered HTTP 400$"):
        await complete(login, "never-issued")
    provider.register()
    with pytest.raises(OidcError, match="^the identity provider answered HTTP 400$"):
        await login.complete("code-1", REDIRECT, "wrong-verifier-" + "x" * 30, NONCE)
    provider.register("code-3")
    provider.codes["code-3"]["id_token"] = None
    with pytest.raises(OidcError, match="^the identity provider returned no ID token$"):
        await complete(login, "code-3")


async def test_a_wrong_client_secret_is_refused_by_the_provider(
    provider: Provider, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    config = OidcConfig(issuer=provider.issuer, client_id=CLIENT_ID, client_secret=Secret("nope"))
    provider.register()
    with pytest.raises(OidcError, match="^the identity provider answered HTTP 401$"):
        await OidcLogin(config, session, clock).complete("code-1", REDIRECT, VERIFIER, NONCE)


async def test_an_unreachable_provider(session: aiohttp.ClientSession, clock: FakeClock) -> None:
    config = OidcConfig(issuer="http://127.0.0.1:9", client_id=CLIENT_ID)
    with pytest.raises(
        OidcError, match="^the identity provider could not be reached or answered badly$"
    ):
        await OidcLogin(config, session, clock).discover()


def test_the_s256_challenge_matches_rfc_7636_appendix_b() -> None:
    digest = hashlib.sha256(VERIFIER.encode()).digest()
    assert s256_challenge(VERIFIER) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert s256_challenge(VERIFIER) == base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def test_a_public_client_sends_its_id_in_the_form(
    provider: Provider, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    config = OidcConfig(issuer=provider.issuer, client_id=CLIENT_ID)
    provider.register()
    with pytest.raises(OidcError, match="^the identity provider answered HTTP 401$"):
        await OidcLogin(config, session, clock).complete("code-1", REDIRECT, VERIFIER, NONCE)
    assert provider.token_forms[-1]["client_id"] == CLIENT_ID
