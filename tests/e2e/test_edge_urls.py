"""Paths and URLs through the proxy: peer-gateways.md part (c), items 14 and 24.

Routing uses the raw path, checked segment by segment: dot segments, encoded separators
and other tricks are refused (400), never normalised into another patient's resource or
into the public ``metadata`` route.  Server URLs are rewritten only where FHIR puts them
(``Bundle.link``, ``entry.fullUrl``, ``Location``); clinical text and references inside
resources are relayed untouched.
"""

from __future__ import annotations

import pytest

from tests.e2e.world import PUBLIC_FHIR, World, observation, refusal

# --- (c) 14: auth bypass through path matching ---------------------------------------

WITH_TOKEN = [
    ("/fhir/Patient/{a}/../{b}", 400),
    ("/fhir/Patient/{a}/..%2F{b}", 400),
    ("/fhir/Patient/%2e%2e/Patient/{b}", 400),
    ("/fhir/Patient%2F{b}", 400),
    ("/fhir/./Patient/{b}", 400),
    ("/fhir/Patient/./{b}", 400),
    ("/fhir/Patient/{b};x=y", 400),
    ("/fhir/Patient/{b}%00", 400),
    ("/fhir/%50atient/{b}", 400),
    ("/fhir/Patient/{a}%5C..%5C{b}", 400),
    ("/fhir/Observation/{a_obs}/../../Patient/{b}", 400),
    ("/fhir//Patient/{b}", 404),
    ("/fhir/Patient/{b}/", 404),
    ("/fhir/Patient//{b}", 400),
]


@pytest.mark.parametrize(("path", "status"), WITH_TOKEN)
async def test_14_path_tricks_never_reach_another_patient(
    world: World, path: str, status: int
) -> None:
    a, b = world.a, world.b
    target = path.format(a=a.id, b=b.id, a_obs=a.observations[0])
    answer = await world.get(target, await world.token(a))
    refusal(answer, status, "invalid" if status == 400 else "not-found")
    assert world.seen == []


WITHOUT_TOKEN = [
    ("/fhir/metadata/../Patient/{b}", 400, "invalid"),
    ("/fhir/metadata%2F..%2FPatient%2F{b}", 400, "invalid"),
    ("/fhir/metadata/%2e%2e/Patient/{b}", 400, "invalid"),
    ("/fhir/.well-known/../Patient/{b}", 400, "invalid"),
    ("/fhir/Patient/{b}?/metadata", 401, "login"),
    ("/fhir/Patient/{b}?_format=json&x=/metadata", 401, "login"),
    ("/fhir/Patient/{b}/metadata", 401, "login"),
    ("/fhir/Patient/{b}%3F/metadata", 400, "invalid"),
]


@pytest.mark.parametrize(("path", "status", "code"), WITHOUT_TOKEN)
async def test_14_the_public_metadata_route_cannot_be_borrowed(
    world: World, path: str, status: int, code: str
) -> None:
    """Only ``metadata`` itself is public; a path or query that merely ends in it is not."""
    answer = await world.get(path.format(b=world.b.id))
    refusal(answer, status, code)
    assert world.seen == []


async def test_14_metadata_itself_stays_public(world: World) -> None:
    answer = await world.get("/fhir/metadata")
    assert answer.status == 200, answer.text
    assert answer.json["resourceType"] == "CapabilityStatement"
    assert [s.target for s in world.seen] == ["/fhir/metadata"]


# --- (c) 24: upstream URL rewriting ---------------------------------------------------


async def _note_mentioning_the_upstream(world: World) -> tuple[str, str]:
    a = world.a
    base = world.upstream_base
    text = (f"Reviewed with the chart at {base}/Patient/{a.id}; "
            f"see also {base}/Observation/{a.observations[0]} and "
            f"{base.replace('http://', 'HTTP://')}/Patient/{a.id}.")
    oid = await world.plant(observation(
        a,
        text={"status": "generated",
              "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>'},
        note=[{"text": text}],
        derivedFrom=[{"reference": f"{base}/Observation/{a.observations[0]}"}],
    ))
    return oid, text


async def test_24_clinical_text_and_references_are_relayed_untouched(world: World) -> None:
    a = world.a
    oid, text = await _note_mentioning_the_upstream(world)
    truth = await world.truth("GET", f"Observation/{oid}")
    assert text in truth.text

    token = await world.token(a)
    read = await world.get(f"/fhir/Observation/{oid}", token)
    assert read.status == 200, read.text
    assert read.json == truth.json

    search = await world.get(f"/fhir/Observation?_id={oid}", token)
    assert search.status == 200, search.text
    entry = search.json["entry"][0]
    assert entry["fullUrl"] == f"{PUBLIC_FHIR}/Observation/{oid}"
    assert entry["resource"] == truth.json
    assert all(link["url"].startswith(f"{PUBLIC_FHIR}/_page?cursor=")
               for link in search.json.get("link", []))


async def test_24_history_bundles_rewrite_full_urls_only(world: World) -> None:
    a = world.a
    oid, text = await _note_mentioning_the_upstream(world)
    answer = await world.get(f"/fhir/Observation/{oid}/_history", await world.token(a))
    assert answer.status == 200, answer.text
    entry = answer.json["entry"][0]
    assert entry["fullUrl"] == f"{PUBLIC_FHIR}/Observation/{oid}"
    assert entry["resource"]["note"][0]["text"] == text


async def test_24_location_of_a_create_names_the_proxy(world: World) -> None:
    """A backend service (no patient confinement) creates; ``Location`` is rewritten."""
    a = world.a
    token = await world.token(None, "system/Observation.cruds", client_id="demo-backend-service")
    answer = await world.call("POST", "/fhir/Observation", token, body=observation(a))
    assert answer.status == 201, answer.text
    location = answer.headers["Location"]
    assert location.startswith(f"{PUBLIC_FHIR}/Observation/"), location
    created = location[len(f"{PUBLIC_FHIR}/"):].split("/_history")[0]
    world.planted.append(created)
    assert world.upstream_base not in str(dict(answer.headers))
    assert (await world.truth("GET", created)).status == 200
