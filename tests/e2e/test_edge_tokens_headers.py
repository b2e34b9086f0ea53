"""Tokens, scopes, consent and headers through the proxy: peer-gateways.md part (c),
items 12, 13, 15 and 18.

A refused call never reaches the upstream.  The upstream sees the proxy's own credential
and forwarding headers, never the app's token or the app's ``X-Forwarded-*``; the app
sees only allow-listed upstream headers.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from aiohttp import web

from smart_proxy.app import create_app
from smart_proxy.consent import ConsentRecord, ConsentStore
from smart_proxy.grants import revoke_grant
from smart_proxy.state import MemoryStore
from tests.e2e.world import PUBLIC_FHIR, World, mentions, observation, refusal
from tests.support import UPSTREAM_SECRET, make_config

# --- (c) 12: scope-parser fail-open --------------------------------------------------


INSUFFICIENT = [
    # (scopes, call): well-formed scopes that do not grant the call
    (("patient/Observation.s",), "Observation/{a_obs}"),  # search is not read
    (("patient/Observation.r",), "Observation?_count=1"),  # read is not search
    (("patient/Observation.c",), "Observation/{a_obs}"),
    (("patient/Observation.cud",), "Observation?_count=1"),
    (("patient/Observation.write",), "Observation/{a_obs}"),
    (("patient/Observation.rs",), "Condition?_count=1"),
    (("patient/Observation.rs",), "Condition/{a_cond}"),
    (("user/Observation.rs",), "Observation?_count=1"),  # no fhirUser in the grant
    (("patient/Observation.rs?category=laboratory", "patient/Patient.rs"), "Condition/{a_cond}"),
    (("launch/patient", "openid", "fhirUser", "offline_access"), "Observation?_count=1"),
]


@pytest.mark.parametrize(("scopes", "call"), INSUFFICIENT)
async def test_12_scopes_grant_exactly_their_letters_and_types(
    world: World, scopes: tuple[str, ...], call: str
) -> None:
    a = world.a
    token = await world.token(a, *scopes)
    target = "/fhir/" + call.format(a_obs=a.observations[0], a_cond=a.conditions[0])
    answer = await world.get(target, token)
    refusal(answer, 403, "forbidden")
    assert answer.headers["WWW-Authenticate"] == (
        'Bearer realm="smart-proxy", error="insufficient_scope"')
    assert world.seen == []


MALFORMED = [
    "patient/Observation.",
    "patient/Observation",
    "patient/Observation.sr",
    "patient/Observation.rx",
    "patient/Observation.READ",
    "patient/Observation.*read",
    "patient/observation.rs",
    "Patient/Observation.rs",
    "patient/Observation.rs?",
    "patient/*.",
    "patient/Observation.rs ",
]


@pytest.mark.parametrize("scope", MALFORMED)
async def test_12_a_malformed_scope_never_grants(world: World, scope: str) -> None:
    """A grant holding an unparseable scope is refused outright (fail closed), nothing sent.
    (The token endpoint never issues one: see test_edge_launch.py for the negotiation.)"""
    a = world.a
    token = await world.token(a, scope)
    answer = await world.get(f"/fhir/Observation/{a.observations[0]}", token)
    refusal(answer, 500, "exception")
    assert a.observations[0] not in answer.text
    assert world.seen == []


# --- (c) 13: token validation ---------------------------------------------------------


async def _refused_401(world: World, headers: dict[str, str], challenge: str,
                       target: str = "/fhir/Observation") -> None:
    answer = await world.get(target, headers=headers)
    refusal(answer, 401, "login")
    assert answer.headers["WWW-Authenticate"].startswith(challenge), answer.headers
    assert world.seen == []


async def test_13_no_token_gets_a_bare_challenge(world: World) -> None:
    answer = await world.get("/fhir/Observation")
    refusal(answer, 401, "login")
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="smart-proxy"'
    assert world.seen == []


INVALID_TOKEN = 'Bearer realm="smart-proxy", error="invalid_token"'


@pytest.mark.parametrize("header", [
    "Bearer " + "A" * 43,
    "Bearer " + "x" * 600,
    "Bearer not a token",
    "Bearer tok\u00e9n",
])
async def test_13_unknown_or_malformed_tokens_are_401(world: World, header: str) -> None:
    await _refused_401(world, {"Authorization": header}, INVALID_TOKEN)


@pytest.mark.parametrize("header", ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Token abc"])
async def test_13_other_schemes_are_401_invalid_request(world: World, header: str) -> None:
    await _refused_401(world, {"Authorization": header},
                       'Bearer realm="smart-proxy", error="invalid_request"')


async def test_13_an_expired_token_is_401(world: World) -> None:
    token = await world.token(world.a, ttl=60)
    assert (await world.get("/fhir/Observation?_count=1", token)).status == 200
    world.seen.clear()
    world.clock.advance(61)
    await _refused_401(world, {"Authorization": f"Bearer {token}"}, INVALID_TOKEN)


async def test_13_a_revoked_token_is_401_on_the_next_call(world: World, store: MemoryStore) -> None:
    grant_id = str(uuid.uuid4())
    token = await world.token(world.a, grant_id=grant_id)
    assert (await world.get("/fhir/Observation?_count=1", token)).status == 200
    world.seen.clear()
    await revoke_grant(store, grant_id)
    await _refused_401(world, {"Authorization": f"Bearer {token}"}, INVALID_TOKEN)


async def test_13_a_token_of_a_suspended_app_is_401(world: World) -> None:
    token = await world.token(world.a, client_id="demo-suspended-app")
    await _refused_401(world, {"Authorization": f"Bearer {token}"}, INVALID_TOKEN)


async def test_13_a_token_in_the_query_string_is_refused(world: World) -> None:
    token = await world.token(world.a)
    refusal(await world.get(f"/fhir/Observation?access_token={token}"), 400, "invalid")
    assert world.seen == []


# --- (c) 15: header trust and forwarding ----------------------------------------------


HOSTILE_HEADERS = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/evil",
    "Forwarded": "for=203.0.113.9;host=evil.example;proto=http",
    "X-Real-IP": "203.0.113.9",
    "X-Original-URL": "/fhir/Patient/{b}",
    "X-Rewrite-URL": "/fhir/Patient/{b}",
    "X-Authorization-Patient": "{b}",
    "X-Authorization-Scope": "system/*.cruds",
    "X-MS-AZUREFHIR-AUDIT-SOURCE": "forged",
    "Cookie": "session=stolen",
    "Proxy-Authorization": "Basic ZXZpbDpldmls",
    "X-Request-Id": "e2e-headers-0001",
}


async def test_15_client_forwarding_headers_and_token_never_reach_the_upstream(
    world: World
) -> None:
    a, b = world.a, world.b
    token = await world.token(a)
    hostile = {k: v.format(b=b.id) for k, v in HOSTILE_HEADERS.items()}
    answer = await world.get("/fhir/Observation?_count=5", token, headers=hostile)
    assert answer.status == 200, answer.text
    assert not mentions(answer.json, b)
    for entry in answer.json["entry"]:
        assert entry["fullUrl"].startswith(f"{PUBLIC_FHIR}/Observation/"), entry["fullUrl"]

    [seen] = world.seen
    assert seen.headers.getall("Authorization") == [f"Bearer {UPSTREAM_SECRET}"]
    assert seen.headers.getall("X-Forwarded-Host") == ["proxy.example.org"]
    assert seen.headers.getall("X-Forwarded-Proto") == ["https"]
    assert seen.headers.getall("X-Forwarded-For") == ["127.0.0.1"]
    for name in ("Forwarded", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Real-IP",
                 "X-Original-URL", "X-Rewrite-URL", "X-Authorization-Patient",
                 "X-Authorization-Scope", "X-MS-AZUREFHIR-AUDIT-SOURCE", "Cookie",
                 "Proxy-Authorization"):
        assert name not in seen.headers, name
    assert all(token not in value for value in seen.headers.values())
    assert "evil.example" not in str(list(seen.headers.items()))
    assert "203.0.113.9" not in str(list(seen.headers.items()))


async def test_15_upstream_headers_outside_the_allow_list_never_reach_the_app(
    aiohttp_server: Any, aiohttp_client: Any, store: MemoryStore, issue_token: Any
) -> None:
    """The response direction, with a tiny upstream that sends what no app should get
    (neither world's server sends cookies or challenges on success, so this one does)."""

    async def answer(request: web.Request) -> web.Response:
        body = observation_for("p-echo")
        return web.json_response(body, content_type="application/fhir+json", headers={
            "Set-Cookie": "upstream-session=secret; Path=/",
            "WWW-Authenticate": 'Bearer realm="upstream"',
            "Server": "UpstreamFHIR/9.9",
            "X-Powered-By": "Upstream",
            "Access-Control-Allow-Origin": "*",
            "X-Upstream-Debug": "sql=SELECT ...",
            "ETag": 'W/"3"',
            "Last-Modified": "Wed, 01 Jan 2026 00:00:00 GMT",
        })

    upstream = web.Application()
    upstream.router.add_get("/fhir/Observation/{id}", answer)
    server = await aiohttp_server(upstream)
    proxy = await aiohttp_client(create_app(make_config(str(server.make_url("/fhir"))),
                                            store=store))
    token = await issue_token(patient="p-echo", scopes=("patient/*.rs",))
    response = await proxy.get("/fhir/Observation/o1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    assert response.headers["ETag"] == 'W/"3"'
    assert response.headers["Last-Modified"] == "Wed, 01 Jan 2026 00:00:00 GMT"
    for name in ("Set-Cookie", "WWW-Authenticate", "X-Powered-By", "X-Upstream-Debug"):
        assert name not in response.headers, name
    assert response.headers.get("Server", "") != "UpstreamFHIR/9.9"
    assert response.headers.get("Access-Control-Allow-Origin") != "*"


def observation_for(patient: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o1", "status": "final",
            "code": {"text": "Heart rate"}, "subject": {"reference": f"Patient/{patient}"}}


# --- (c) 18: consent staleness and narrow matching ------------------------------------


async def _consented_token(world: World, store: MemoryStore, *, withheld: tuple[str, ...] = ()
                           ) -> tuple[str, str]:
    consent_id = str(uuid.uuid4())
    now = time.time()
    await ConsentStore(store).save(ConsentRecord(
        consent_id=consent_id, patient=world.a.id, client_id="demo-patient-app",
        granted_scopes=("patient/*.rs",), created_at=now - 1, withheld_labels=withheld))
    return await world.token(world.a, consent_id=consent_id), consent_id


async def test_18_withdrawing_consent_ends_access_on_the_next_call(
    world: World, store: MemoryStore
) -> None:
    token, consent_id = await _consented_token(world, store)
    assert (await world.get("/fhir/Observation?_count=1", token)).status == 200
    world.seen.clear()
    await ConsentStore(store).revoke(consent_id, time.time(), by="patient")
    answer = await world.get("/fhir/Observation?_count=1", token)
    refusal(answer, 401, "login")
    assert answer.headers["WWW-Authenticate"].startswith(INVALID_TOKEN)
    assert world.seen == []


PSY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}
RESTRICTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}


@pytest.mark.parametrize("label", [PSY, RESTRICTED])
async def test_18_records_the_patient_withheld_stay_withheld(
    world: World, store: MemoryStore, label: dict[str, str]
) -> None:
    a = world.a
    sensitive = await world.plant(observation(a, meta={"security": [label]}))
    shared, _ = await _consented_token(world, store)
    label_key = f"{label['system']}|{label['code']}"
    withheld, _ = await _consented_token(world, store, withheld=(label_key,))
    assert (await world.get(f"/fhir/Observation/{sensitive}", shared)).status == 200
    refusal(await world.get(f"/fhir/Observation/{sensitive}", withheld), 404, "not-found")
    search = await world.get("/fhir/Observation?_count=500", withheld)
    assert search.status == 200, search.text
    assert f"Observation/{sensitive}" not in search.keyset()
    assert {f"Observation/{o}" for o in a.observations} <= search.keyset()
    assert "total" not in search.json
