"""``private_key_jwt`` with keys from the client's registered ``jwks_uri`` (checklist 88-89).

A real TLS server on 127.0.0.1 serves the JWKS with a self-signed certificate the
proxy is told to trust (``app[CLIENT_JWKS_TLS]``); each test programs its keys,
status, body and ``Cache-Control`` and counts the fetches.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, RSAKey

from app_registry import load_registry_text
from smart_proxy.app import create_app
from smart_proxy.auth.client_jwks import CLIENT_JWKS_HTTP, ClientJwks, JwksFetchError
from smart_proxy.keys import REGISTRY
from smart_proxy.state import StateStore
from tests.smart_proxy.auth.token_client_keys import ClientKeys, backend_form
from tests.smart_proxy.auth.token_harness import (  # noqa: F401  (fixtures)
    OK,
    REFUSED,
    START,
    FakeClock,
    Harness,
    client_keys_fixture,
    clock_fixture,
    registry_yaml,
    start_proxy,
    status_and_error,
    token_store_fixture,
)
from tests.smart_proxy.auth.token_tls import loopback_tls
from tests.support import make_config


@dataclass
class JwksServer:
    keys: list[dict[str, Any]]
    headers: dict[str, str] = field(default_factory=lambda: {"Cache-Control": "max-age=100"})
    status: int = 200
    body: bytes | None = None
    accepts: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.accepts.append(request.headers.get("Accept", ""))
        if self.body is not None:
            return web.Response(body=self.body, status=self.status, headers=self.headers)
        return web.json_response({"keys": self.keys}, status=self.status, headers=self.headers)

    @property
    def hits(self) -> int:
        return len(self.accepts)


@dataclass
class UriSetup:
    harness: Harness
    jwks: JwksServer

    async def request(self, **assertion: Any) -> tuple[int, str | None]:
        signed = self.harness.keys.assertion("uri-app", now=self.harness.clock(), **assertion)
        return await status_and_error(await self.harness.token(backend_form(signed)))


async def _uri_setup(
    aiohttp_client: Any,
    aiohttp_server: Any,
    store: StateStore,
    clock: FakeClock,
    keys: ClientKeys,
    tmp_path: Path,
    *,
    trusted: bool = True,
) -> UriSetup:
    tls = loopback_tls(tmp_path)
    jwks = JwksServer(keys=[keys.public_jwk("rsa"), keys.public_jwk("ec")])
    app = web.Application()
    app.router.add_get("/jwks.json", jwks.handle)
    server = await aiohttp_server(app, ssl=tls.server)
    uri = str(server.make_url("/jwks.json"))
    assert uri.startswith("https://127.0.0.1:")
    harness = await start_proxy(
        aiohttp_client, aiohttp_server, store, clock, keys,
        jwks_uri=uri, jwks_tls=tls.client if trusted else None,
    )
    return UriSetup(harness, jwks)


@pytest.fixture
async def uri(
    aiohttp_client: Any,
    aiohttp_server: Any,
    token_store: StateStore,
    clock: FakeClock,
    client_keys: ClientKeys,
    tmp_path: Path,
) -> UriSetup:
    return await _uri_setup(
        aiohttp_client, aiohttp_server, token_store, clock, client_keys, tmp_path
    )


async def test_keys_are_fetched_from_jwks_uri_with_accept_json(uri: UriSetup) -> None:
    assert await uri.request() == OK
    assert await uri.request(alg="ES384") == OK
    assert uri.jwks.accepts == ["application/json"]


async def test_jku_equal_to_the_registered_url_is_accepted(uri: UriSetup) -> None:
    url = uri.harness.app[REGISTRY]["uri-app"].jwks_uri
    assert url is not None
    assert await uri.request(header={"jku": url}) == OK
    assert await uri.request(header={"jku": url + "?x"}) == REFUSED


@pytest.mark.parametrize(
    ("cache_control", "still_cached_at", "refetched_at"),
    [
        ("max-age=100", 99, 101),
        ("public, max-age=30", 29, 31),
        (None, 59, 61),  # no header: the small default (60 s)
        ("max-age=100000000", 3599, 3601),  # capped at one hour
    ],
)
async def test_jwks_cache_follows_cache_control(
    uri: UriSetup, cache_control: str | None, still_cached_at: float, refetched_at: float
) -> None:
    uri.jwks.headers = {} if cache_control is None else {"Cache-Control": cache_control}
    assert await uri.request() == OK
    uri.harness.clock.advance(still_cached_at)
    assert await uri.request() == OK
    assert uri.jwks.hits == 1
    uri.harness.clock.advance(refetched_at - still_cached_at)
    assert await uri.request() == OK
    assert uri.jwks.hits == 2


@pytest.mark.parametrize("cache_control", ["no-store", "no-cache", "max-age=0"])
async def test_uncacheable_jwks_is_fetched_every_time(uri: UriSetup, cache_control: str) -> None:
    uri.jwks.headers = {"Cache-Control": cache_control}
    for _ in range(3):
        assert await uri.request() == OK
    assert uri.jwks.hits == 3


async def test_unknown_kid_refetches_once_rate_limited(uri: UriSetup) -> None:
    keys = uri.harness.keys
    assert await uri.request() == OK
    uri.jwks.keys = [keys.public_jwk("rsa", kid="rotated-1")]
    assert await uri.request(header={"kid": "rotated-1"}) == OK  # refetched at once
    assert uri.jwks.hits == 2
    uri.jwks.keys = [keys.public_jwk("rsa", kid="rotated-2")]
    assert await uri.request(header={"kid": "rotated-2"}) == REFUSED  # too soon to refetch
    assert uri.jwks.hits == 2
    uri.harness.clock.advance(11)
    assert await uri.request(header={"kid": "rotated-2"}) == OK
    assert uri.jwks.hits == 3


async def test_two_keys_with_the_same_kid_and_type_are_refused(uri: UriSetup) -> None:
    other = RSAKey.generate_key(2048, private=True).as_dict(private=False)
    uri.jwks.keys = [uri.harness.keys.public_jwk("rsa"), {**other, "kid": "rsa-key-1"}]
    assert await uri.request() == REFUSED


async def test_same_kid_on_keys_of_different_types_picks_by_kty(uri: UriSetup) -> None:
    keys = uri.harness.keys
    uri.jwks.keys = [keys.public_jwk("rsa", kid="shared"), keys.public_jwk("ec", kid="shared")]
    assert await uri.request(header={"kid": "shared"}) == OK
    assert await uri.request(alg="ES384", header={"kid": "shared"}) == OK


@pytest.mark.parametrize(
    "mutate",
    [
        {"key_ops": ["sign"]},
        {"use": "enc"},
        {"alg": "RS512"},
        {"d": "AQAB"},
    ],
    ids=["key-ops-sign", "use-enc", "other-alg", "private-member"],
)
async def test_keys_not_usable_for_verification_are_ignored(
    uri: UriSetup, mutate: dict[str, Any]
) -> None:
    uri.jwks.keys = [{**uri.harness.keys.public_jwk("rsa"), **mutate}]
    assert await uri.request() == REFUSED


async def test_small_rsa_keys_are_ignored(uri: UriSetup) -> None:
    with warnings.catch_warnings():  # joserfc rightly warns about making a 1024-bit key
        warnings.simplefilter("ignore", SecurityWarning)
        small = RSAKey.generate_key(1024, private=True)
        assertion = uri.harness.keys.assertion(
            "uri-app", header={"kid": "small"}, key=small, now=uri.harness.clock()
        )
    uri.jwks.keys = [{**small.as_dict(private=False), "kid": "small"}]
    response = await uri.harness.token(backend_form(assertion))
    assert await status_and_error(response) == REFUSED


async def test_p256_key_is_not_an_es384_key(uri: UriSetup) -> None:
    p256 = ECKey.generate_key("P-256", private=True)
    uri.jwks.keys = [{**p256.as_dict(private=False), "kid": "ec-key-1"}]
    assert await uri.request(alg="ES384") == REFUSED


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, b"{}"), (404, b"nope"), (200, b"not json"), (200, b'{"no": "keys"}'),
     (200, b"[1, 2]"), (200, b'{"keys": [' + b'"x", ' * 20000 + b'"x"]}')],
    ids=["500", "404", "not-json", "no-keys", "not-an-object", "too-large"],
)
async def test_broken_jwks_endpoint_is_invalid_client(
    uri: UriSetup, status: int, body: bytes
) -> None:
    uri.jwks.status, uri.jwks.body = status, body
    assert await uri.request() == REFUSED


async def test_a_large_jwks_read_in_several_chunks_is_accepted(uri: UriSetup) -> None:
    padding = [{"kty": "RSA", "kid": f"old-{i}", "e": "AQAB", "n": "A" * 400} for i in range(100)]
    uri.jwks.keys = [*padding, uri.harness.keys.public_jwk("rsa")]
    assert await uri.request() == OK


async def test_untrusted_certificate_is_refused(
    aiohttp_client: Any,
    aiohttp_server: Any,
    token_store: StateStore,
    clock: FakeClock,
    client_keys: ClientKeys,
    tmp_path: Path,
) -> None:
    setup = await _uri_setup(
        aiohttp_client, aiohttp_server, token_store, clock, client_keys, tmp_path, trusted=False
    )
    assert await setup.request() == REFUSED
    assert setup.jwks.hits == 0


async def test_plain_http_jwks_url_is_never_fetched() -> None:
    async with aiohttp.ClientSession() as session:
        cache = ClientJwks(session, lambda: START)
        with pytest.raises(JwksFetchError, match="not https"):
            await cache.get("http://127.0.0.1:1/jwks.json")


async def test_the_jwks_http_client_lives_and_dies_with_the_app(
    token_store: StateStore, clock: FakeClock, client_keys: ClientKeys
) -> None:
    registry = load_registry_text(registry_yaml(client_keys), "token-tests.yaml")
    app = create_app(
        make_config("http://127.0.0.1:9/fhir"), store=token_store, registry=registry, clock=clock
    )
    server = TestServer(app)
    await server.start_server()
    session = app[CLIENT_JWKS_HTTP]
    assert not session.closed
    await server.close()
    assert session.closed
