"""Binary through the proxy: peer-gateways.md part (c), item 22.

The contract: under a ``patient/`` grant a Binary is readable when its ``securityContext``
is (A's Patient, or a resource in A's compartment), or when a DocumentReference readable
by the grant points at it; any other Binary answers 404, byte-for-byte like a missing one.
Both the FHIR JSON form and the raw content (``Accept: */*``; the sandbox streams the
bytes, sekmet answers JSON) are read.
"""

from __future__ import annotations

import base64

import orjson
import pytest

from tests.e2e.world import Chart, World, refusal

TEXT = "Progress note: stable, follow up in 3 months.\n"
RAW = {"Accept": "*/*"}
FHIR = {"Accept": "application/fhir+json"}


def binary(context: str | None) -> dict[str, object]:
    resource: dict[str, object] = {
        "resourceType": "Binary", "contentType": "text/plain",
        "data": base64.b64encode(TEXT.encode()).decode(),
    }
    if context is not None:
        resource["securityContext"] = {"reference": context}
    return resource


def document(patient: Chart, binary_id: str) -> dict[str, object]:
    return {
        "resourceType": "DocumentReference", "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3",
                             "display": "Progress note"}]},
        "subject": {"reference": patient.ref},
        "content": [{"attachment": {"contentType": "text/plain", "url": f"Binary/{binary_id}"}}],
    }


def shows_the_note(body: bytes) -> bool:
    if body.decode("utf-8", "replace") == TEXT:
        return True
    return TEXT.encode() in base64.b64decode(orjson.loads(body).get("data", ""))


@pytest.mark.parametrize("accept", [FHIR, RAW], ids=["json", "raw"])
async def test_22_a_binary_in_the_patients_security_context_is_readable(
    world: World, accept: dict[str, str]
) -> None:
    a = world.a
    mine = await world.plant(binary(a.ref))
    answer = await world.get(f"/fhir/Binary/{mine}", await world.token(a), headers=accept)
    assert answer.status == 200, answer.text
    assert shows_the_note(answer.body)


async def test_22_a_binary_referenced_by_the_patients_document_is_readable(world: World) -> None:
    a = world.a
    attached = await world.plant(binary(None))
    await world.plant(document(a, attached))
    answer = await world.get(f"/fhir/Binary/{attached}", await world.token(a), headers=FHIR)
    assert answer.status == 200, answer.text
    assert shows_the_note(answer.body)


@pytest.mark.parametrize("accept", [FHIR, RAW], ids=["json", "raw"])
@pytest.mark.parametrize("whose", ["context is B", "context is B's Observation",
                                   "B's document", "no context, no document"])
async def test_22_any_other_binary_reads_like_a_missing_one(
    world: World, accept: dict[str, str], whose: str
) -> None:
    b = world.b
    if whose == "context is B":
        theirs = await world.plant(binary(b.ref))
    elif whose == "context is B's Observation":
        theirs = await world.plant(binary(f"Observation/{b.observations[0]}"))
    elif whose == "B's document":
        theirs = await world.plant(binary(None))
        await world.plant(document(b, theirs))
    else:
        theirs = await world.plant(binary(None))
    assert (await world.truth("GET", f"Binary/{theirs}")).status == 200
    token = await world.token(world.a)
    rid = {**accept, "X-Request-Id": "e2e-binary-00001"}
    answer = await world.get(f"/fhir/Binary/{theirs}", token, headers=rid)
    missing = await world.get("/fhir/Binary/no-such-binary", token, headers=rid)
    refusal(answer, 404, "not-found")
    assert (answer.status, answer.body) == (missing.status, missing.body)
    assert TEXT not in answer.text


async def test_22_a_binary_needs_a_scope_that_reaches_it(world: World) -> None:
    """A grant for Observations only does not open the patient's Binaries."""
    a = world.a
    mine = await world.plant(binary(a.ref))
    answer = await world.get(f"/fhir/Binary/{mine}", await world.token(a, "patient/Observation.rs"))
    refusal(answer, 403, "forbidden")
    assert world.seen == []
