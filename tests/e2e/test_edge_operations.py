"""Operations and compartment URLs through the proxy: peer-gateways.md part (c), item 8.

``Patient/{id}/{type}`` is a search of ``{type}`` (its own scope, confined to the patient in
context), ``$everything`` is post-filtered per resource type and scope, and operations are
an explicit allow-list: everything else is refused before the upstream is called.
"""

from __future__ import annotations

import pytest

from tests.e2e.world import World, empty_searchset, mentions, observation, refusal


async def test_8_compartment_search_of_another_patient_is_empty(world: World) -> None:
    a, b = world.a, world.b
    truth = await world.truth("GET", f"Patient/{b.id}/Observation")
    assert truth.entries()  # the upstream would have answered with B's Observations
    empty_searchset(await world.get(f"/fhir/Patient/{b.id}/Observation", await world.token(a)))
    assert world.seen == []


async def test_8_compartment_search_of_the_own_patient_is_served_and_confined(
    world: World
) -> None:
    a, b = world.a, world.b
    await world.plant(observation(a, performer=[{"reference": b.ref}]))
    answer = await world.get(f"/fhir/Patient/{a.id}/Observation?_count=500",
                             await world.token(a))
    assert answer.status == 200, answer.text
    assert {f"Observation/{o}" for o in a.observations} <= answer.keyset()
    assert not mentions(answer.json, b)


async def test_8_compartment_url_needs_the_scope_of_the_searched_type(world: World) -> None:
    """``Patient/A/Condition`` is a Condition search, not a Patient read."""
    a = world.a
    token = await world.token(a, "patient/Patient.rs", "patient/Observation.rs")
    refusal(await world.get(f"/fhir/Patient/{a.id}/Condition", token), 403, "forbidden")
    assert world.seen == []


async def test_8_everything_of_another_patient_is_404_without_an_upstream_call(
    world: World
) -> None:
    a, b = world.a, world.b
    assert (await world.truth("GET", f"Patient/{b.id}/$everything")).status == 200
    refusal(await world.get(f"/fhir/Patient/{b.id}/$everything", await world.token(a)),
            404, "not-found")
    assert world.seen == []


async def test_8_everything_is_filtered_per_resource_type_and_scope(world: World) -> None:
    """Only Patient and Observation are granted: Conditions (and B's data) are left out,
    though the upstream's ``$everything`` holds them."""
    a, b = world.a, world.b
    await world.plant(observation(a, performer=[{"reference": b.ref}]))
    truth = await world.truth("GET", f"Patient/{a.id}/$everything?_count=1000")
    assert {r["resourceType"] for r in truth.entries()} >= {"Patient", "Observation", "Condition"}

    token = await world.token(a, "patient/Patient.rs", "patient/Observation.rs")
    answer = await world.get(f"/fhir/Patient/{a.id}/$everything?_count=1000", token)
    assert answer.status == 200, answer.text
    assert {r["resourceType"] for r in answer.entries()} == {"Patient", "Observation"}
    assert {a.ref} | {f"Observation/{o}" for o in a.observations} <= answer.keyset()
    assert not mentions(answer.json, b)


async def test_8_everything_by_post_is_refused(world: World) -> None:
    a = world.a
    answer = await world.call("POST", f"/fhir/Patient/{a.id}/$everything", await world.token(a),
                              body={"resourceType": "Parameters"})
    refusal(answer, 400, "invalid")
    assert world.seen == []


NOT_ALLOWED = [
    ("GET", "Patient/{a}/$validate"),
    ("POST", "Observation/$validate"),
    ("GET", "Observation/{a_obs}/$meta"),
    ("POST", "Observation/{a_obs}/$meta-add"),
    ("POST", "Patient/$match"),
    ("GET", "Patient/{a}/$summary"),
    ("GET", "$graphql?query={{Patient{{id}}}}"),
    ("GET", "Patient/{a}/$graphql"),
    ("POST", "$process-message"),
    ("GET", "Observation/$stats"),
    ("GET", "Patient/$everything"),
]


@pytest.mark.parametrize(("method", "target"), NOT_ALLOWED)
async def test_8_operations_off_the_allow_list_are_refused_before_the_upstream(
    world: World, method: str, target: str
) -> None:
    a = world.a
    path = "/fhir/" + target.format(a=a.id, a_obs=a.observations[0])
    body = {"resourceType": "Parameters"} if method == "POST" else None
    answer = await world.call(method, path, await world.token(a, "patient/*.cruds"), body=body)
    refusal(answer, 400, "invalid")
    assert world.seen == []

