"""Writes through the proxy: peer-gateways.md part (c), items 5, 6, 7, 9 and 10.

The contract (DESIGN.md decision 5) for a ``patient/`` grant of patient A:

* create/update whose body references another patient anywhere (subject, performer,
  extension, note author, contained resources, absolute URLs) → 403 OperationOutcome,
  nothing written;
* update/patch/delete of B's resource → 404, B's resource unchanged; a patch whose
  *result* references B → 403; FHIRPath Patch (which the proxy cannot simulate) → 400;
* ``If-None-Exist`` and conditional URLs naming B → 404, nothing of B's touched;
* a transaction with one refused entry is refused whole, nothing written; in a batch each
  refused entry gets its own error entry and the others are processed.

Each refusal is paired with the same write for A's own data, which must succeed: so a
proxy refusing every write does not pass.  Where the contract's two rules meet (an update
of B's resource whose body also names B) the body rule answers first: 403, decided by the
request alone.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.world import Answer, Chart, World, observation, refusal

WRITE = ("patient/*.cruds",)
MARK = "https://e2e.example/id"
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def marked(patient: Chart, **elements: Any) -> tuple[dict[str, Any], str]:
    """An Observation about ``patient`` carrying a fresh identifier to find it by."""
    value = str(uuid.uuid4())
    return observation(patient, identifier=[{"system": MARK, "value": value}], **elements), value


async def written(world: World, value: str) -> bool:
    found = await world.truth("GET", f"Observation?identifier={MARK}|{value}")
    return bool(found.entries())


def key_of(location: str) -> str:
    """``Type/id`` of a ``Location`` (absolute under the proxy's base, or relative)."""
    return location.split("/fhir/")[-1].split("/_history")[0]


def no_writes_upstream(world: World) -> None:
    assert [s for s in world.seen if s.method not in ("GET", "HEAD")] == []


# --- (c) 5: reference injection ------------------------------------------------------


def _b_everywhere(world: World) -> dict[str, dict[str, Any]]:
    b = world.b
    return {
        "subject": {"subject": {"reference": b.ref}},
        "performer": {"performer": [{"reference": b.ref}]},
        "absolute performer": {"performer": [{"reference": f"{world.upstream_base}/{b.ref}"}]},
        "extension": {"extension": [{"url": "https://e2e.example/ext/about",
                                     "valueReference": {"reference": b.ref}}]},
        "note author": {"note": [{"authorReference": {"reference": b.ref}, "text": "hi"}]},
        "contained": {
            "contained": [{"resourceType": "Observation", "id": "c1", "status": "final",
                           "code": {"text": "Heart rate"}, "subject": {"reference": b.ref}}],
            "hasMember": [{"reference": "#c1"}],
        },
    }


PLACES = ["subject", "performer", "absolute performer", "extension", "note author", "contained"]


async def test_5_creating_the_own_patients_observation_works(world: World) -> None:
    body, value = marked(world.a)
    answer = await world.call("POST", "/fhir/Observation", await world.token(world.a, *WRITE),
                              body=body)
    assert answer.status == 201, answer.text
    world.planted.append(key_of(answer.headers["Location"]))
    assert await written(world, value)


@pytest.mark.parametrize("place", PLACES)
async def test_5_a_create_naming_another_patient_anywhere_is_403(world: World, place: str) -> None:
    body, value = marked(world.a)
    body.update(_b_everywhere(world)[place])
    answer = await world.call("POST", "/fhir/Observation", await world.token(world.a, *WRITE),
                              body=body)
    refusal(answer, 403, "forbidden")
    no_writes_upstream(world)
    assert not await written(world, value)


@pytest.mark.parametrize("place", PLACES)
async def test_5_an_update_naming_another_patient_anywhere_is_403(world: World, place: str) -> None:
    a = world.a
    mine = await world.plant(marked(a)[0])
    before = await world.stored(f"Observation/{mine}")
    body = {**(before or {}), **_b_everywhere(world)[place]}
    answer = await world.call("PUT", f"/fhir/Observation/{mine}", await world.token(a, *WRITE),
                              body=body)
    refusal(answer, 403, "forbidden")
    no_writes_upstream(world)
    assert await world.stored(f"Observation/{mine}") == before


# --- (c) 6: updates across compartments ----------------------------------------------


async def test_6_updating_the_own_observation_works(world: World) -> None:
    a = world.a
    mine = await world.plant(marked(a)[0])
    body = {**(await world.stored(f"Observation/{mine}") or {}), "status": "amended"}
    answer = await world.call("PUT", f"/fhir/Observation/{mine}", await world.token(a, *WRITE),
                              body=body)
    assert answer.status == 200, answer.text
    assert (await world.stored(f"Observation/{mine}") or {})["status"] == "amended"


@pytest.mark.parametrize(("subject", "status", "code"), [
    ("a", 404, "not-found"),  # moving B's into A's compartment: the stored version decides
    ("b", 403, "forbidden"),  # a body naming B is refused on its own, before any read
])
async def test_6_updating_another_patients_observation_is_refused(
    world: World, subject: str, status: int, code: str
) -> None:
    """Overwriting B's Observation, or moving it into A's compartment, never happens; the
    answer reveals nothing the request did not already say."""
    a, b = world.a, world.b
    theirs = await world.plant(marked(b)[0])
    before = await world.stored(f"Observation/{theirs}")
    body = {**(before or {}), "status": "amended",
            "subject": {"reference": (a if subject == "a" else b).ref}}
    answer = await world.call("PUT", f"/fhir/Observation/{theirs}", await world.token(a, *WRITE),
                              body=body)
    refusal(answer, status, code)
    no_writes_upstream(world)
    assert await world.stored(f"Observation/{theirs}") == before


async def test_6_moving_the_own_observation_to_another_patient_is_403(world: World) -> None:
    a, b = world.a, world.b
    mine = await world.plant(marked(a)[0])
    before = await world.stored(f"Observation/{mine}")
    body = {**(before or {}), "subject": {"reference": b.ref}}
    answer = await world.call("PUT", f"/fhir/Observation/{mine}", await world.token(a, *WRITE),
                              body=body)
    refusal(answer, 403, "forbidden")
    assert await world.stored(f"Observation/{mine}") == before


async def test_6_deleting_another_patients_observation_is_404(world: World) -> None:
    a, b = world.a, world.b
    theirs = await world.plant(marked(b)[0])
    before = await world.stored(f"Observation/{theirs}")
    answer = await world.call("DELETE", f"/fhir/Observation/{theirs}", await world.token(a, *WRITE))
    refusal(answer, 404, "not-found")
    no_writes_upstream(world)
    assert await world.stored(f"Observation/{theirs}") == before


async def test_6_deleting_the_own_observation_works(world: World) -> None:
    a = world.a
    mine = await world.plant(marked(a)[0])
    answer = await world.call("DELETE", f"/fhir/Observation/{mine}", await world.token(a, *WRITE))
    assert answer.status in (200, 204), answer.text
    assert await world.stored(f"Observation/{mine}") is None


# --- (c) 7: PATCH ---------------------------------------------------------------------


async def _patch(world: World, key: str, operations: list[dict[str, Any]]) -> Answer:
    return await world.call("PATCH", f"/fhir/{key}", await world.token(world.a, *WRITE),
                            headers=JSON_PATCH, body=operations)


async def test_7_patching_the_own_observation_works(world: World) -> None:
    mine = await world.plant(marked(world.a)[0])
    answer = await _patch(world, f"Observation/{mine}",
                          [{"op": "replace", "path": "/status", "value": "amended"}])
    assert answer.status == 200, answer.text
    assert (await world.stored(f"Observation/{mine}") or {})["status"] == "amended"


async def test_7_patching_another_patients_observation_is_404(world: World) -> None:
    theirs = await world.plant(marked(world.b)[0])
    before = await world.stored(f"Observation/{theirs}")
    answer = await _patch(world, f"Observation/{theirs}",
                          [{"op": "replace", "path": "/status", "value": "amended"}])
    refusal(answer, 404, "not-found")
    no_writes_upstream(world)
    assert await world.stored(f"Observation/{theirs}") == before


@pytest.mark.parametrize("operations", [
    [{"op": "replace", "path": "/subject/reference", "value": "Patient/{b}"}],
    [{"op": "add", "path": "/performer", "value": [{"reference": "Patient/{b}"}]}],
    [{"op": "add", "path": "/extension", "value": [
        {"url": "https://e2e.example/ext/about", "valueReference": {"reference": "Patient/{b}"}}]}],
])
async def test_7_a_patch_whose_result_names_another_patient_is_403(
    world: World, operations: list[dict[str, Any]]
) -> None:
    mine = await world.plant(marked(world.a)[0])
    before = await world.stored(f"Observation/{mine}")
    ops = [_fill(op, world.b.id) for op in operations]
    refusal(await _patch(world, f"Observation/{mine}", ops), 403, "forbidden")
    no_writes_upstream(world)
    assert await world.stored(f"Observation/{mine}") == before


def _fill(node: Any, b: str) -> Any:
    if isinstance(node, str):
        return node.replace("{b}", b)
    if isinstance(node, list):
        return [_fill(item, b) for item in node]
    if isinstance(node, dict):
        return {key: _fill(value, b) for key, value in node.items()}
    return node


async def test_7_fhirpath_patch_is_refused(world: World) -> None:
    mine = await world.plant(marked(world.a)[0])
    before = await world.stored(f"Observation/{mine}")
    body = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "replace"}, {"name": "path", "valueString": "Observation.status"},
        {"name": "value", "valueCode": "amended"}]}]}
    answer = await world.call("PATCH", f"/fhir/Observation/{mine}",
                              await world.token(world.a, *WRITE), body=body)
    refusal(answer, 400, "invalid")
    no_writes_upstream(world)
    assert await world.stored(f"Observation/{mine}") == before


# --- (c) 9: conditional operations and If-None-Exist ----------------------------------


async def test_9_if_none_exist_naming_another_patient_is_404(world: World) -> None:
    a, b = world.a, world.b
    body, value = marked(a)
    answer = await world.call("POST", "/fhir/Observation", await world.token(a, *WRITE),
                              headers={"If-None-Exist": f"patient=Patient/{b.id}"}, body=body)
    refusal(answer, 404, "not-found")
    no_writes_upstream(world)
    assert not await written(world, value)


async def test_9_if_none_exist_matching_the_own_record_does_not_duplicate(world: World) -> None:
    a = world.a
    body, value = marked(a)
    await world.plant(body)
    answer = await world.call("POST", "/fhir/Observation", await world.token(a, *WRITE),
                              headers={"If-None-Exist": f"identifier={MARK}|{value}"}, body=body)
    assert answer.status == 200, answer.text
    found = await world.truth("GET", f"Observation?identifier={MARK}|{value}")
    assert len(found.entries()) == 1


async def test_9_a_conditional_update_naming_another_patient_is_404(world: World) -> None:
    a, b = world.a, world.b
    theirs = await world.plant(marked(b)[0])
    before = await world.stored(f"Observation/{theirs}")
    body, value = marked(a)
    answer = await world.call("PUT", f"/fhir/Observation?_id={theirs}&patient=Patient/{b.id}",
                              await world.token(a, *WRITE), body=body)
    refusal(answer, 404, "not-found")
    no_writes_upstream(world)
    assert await world.stored(f"Observation/{theirs}") == before
    assert not await written(world, value)


async def test_9_a_conditional_delete_naming_another_patient_is_404(world: World) -> None:
    a, b = world.a, world.b
    theirs = await world.plant(marked(b)[0])
    answer = await world.call("DELETE", f"/fhir/Observation?_id={theirs}&patient=Patient/{b.id}",
                              await world.token(a, *WRITE))
    refusal(answer, 404, "not-found")
    no_writes_upstream(world)
    assert await world.stored(f"Observation/{theirs}") is not None


async def test_9_a_conditional_delete_by_id_never_reaches_another_patient(world: World) -> None:
    """``_id`` names no patient: the criteria are narrowed to A and match nothing of B's."""
    a, b = world.a, world.b
    theirs = await world.plant(marked(b)[0])
    answer = await world.call("DELETE", f"/fhir/Observation?_id={theirs}",
                              await world.token(a, *WRITE))
    assert answer.status in (200, 204, 404), answer.text
    assert await world.stored(f"Observation/{theirs}") is not None


# --- (c) 10: batch and transaction entries --------------------------------------------


def _post(body: dict[str, Any], full_url: str | None = None) -> dict[str, Any]:
    entry = {"resource": body, "request": {"method": "POST", "url": "Observation"}}
    if full_url:
        entry["fullUrl"] = full_url
    return entry


def _bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


async def test_10_a_transaction_of_own_entries_is_applied(world: World) -> None:
    a = world.a
    first, one = marked(a)
    second, two = marked(a)
    answer = await world.call("POST", "/fhir", await world.token(a, *WRITE),
                              body=_bundle("transaction", _post(first), _post(second)))
    assert answer.status == 200, answer.text
    assert answer.json["type"] == "transaction-response"
    for entry in answer.json["entry"]:
        world.planted.append(key_of(entry["response"]["location"]))
    assert await written(world, one) and await written(world, two)


async def _refused_transaction(world: World, status: int, code: str, *extra: dict[str, Any]
                               ) -> None:
    a = world.a
    good, value = marked(a)
    answer = await world.call("POST", "/fhir", await world.token(a, *WRITE),
                              body=_bundle("transaction", _post(good), *extra))
    refusal(answer, status, code)
    no_writes_upstream(world)
    assert not await written(world, value)


async def test_10_a_transaction_with_an_entry_naming_another_patient_is_refused_whole(
    world: World
) -> None:
    theirs, value = marked(world.b)
    await _refused_transaction(world, 403, "forbidden", _post(theirs))
    assert not await written(world, value)


async def test_10_a_transaction_reading_another_patient_is_refused_whole(world: World) -> None:
    await _refused_transaction(world, 404, "not-found",
                               {"request": {"method": "GET", "url": f"Patient/{world.b.id}"}})


async def test_10_a_transaction_updating_another_patients_resource_is_refused_whole(
    world: World
) -> None:
    theirs = await world.plant(marked(world.b)[0])
    before = await world.stored(f"Observation/{theirs}")
    body = {**(before or {}), "status": "amended", "subject": {"reference": world.a.ref}}
    await _refused_transaction(world, 404, "not-found", {
        "resource": body, "request": {"method": "PUT", "url": f"Observation/{theirs}"}})
    assert await world.stored(f"Observation/{theirs}") == before


async def test_10_transaction_internal_references_are_checked(world: World) -> None:
    """An entry creating a Patient, referenced by ``urn:uuid`` from an Observation."""
    a = world.a
    new_patient = "urn:uuid:" + str(uuid.uuid4())
    body, value = marked(a, performer=[{"reference": new_patient}])
    patient_entry = {"fullUrl": new_patient, "resource": {"resourceType": "Patient"},
                     "request": {"method": "POST", "url": "Patient"}}
    answer = await world.call("POST", "/fhir", await world.token(a, *WRITE),
                              body=_bundle("transaction", patient_entry, _post(body)))
    refusal(answer, 403, "forbidden")
    no_writes_upstream(world)
    assert not await written(world, value)


async def test_10_a_batch_refuses_entry_by_entry(world: World) -> None:
    a, b = world.a, world.b
    mine, kept = marked(a)
    theirs, dropped = marked(b)
    bundle = _bundle(
        "batch", _post(mine), _post(theirs),
        {"request": {"method": "GET", "url": f"Observation/{b.observations[0]}"}},
        {"request": {"method": "GET", "url": f"Observation/{a.observations[0]}"}},
    )
    answer = await world.call("POST", "/fhir", await world.token(a, *WRITE), body=bundle)
    assert answer.status == 200, answer.text
    assert answer.json["type"] == "batch-response"
    entries = answer.json["entry"]
    statuses = [e["response"]["status"].split()[0] for e in entries]
    assert statuses == ["201", "403", "404", "200"]
    world.planted.append(key_of(entries[0]["response"]["location"]))
    assert await written(world, kept)
    assert not await written(world, dropped)
    assert b.observations[0] not in answer.text
    assert entries[3]["resource"]["id"] == a.observations[0]


async def test_10_entry_count_is_capped(world: World) -> None:
    a = world.a
    entries = [_post(marked(a)[0]) for _ in range(101)]
    answer = await world.call("POST", "/fhir", await world.token(a, *WRITE),
                              body=_bundle("batch", *entries))
    refusal(answer, 400, "invalid")
    no_writes_upstream(world)
