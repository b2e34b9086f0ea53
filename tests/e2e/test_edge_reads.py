"""Reads and searches through the proxy: peer-gateways.md part (c), items 1, 2, 11, 19, 20, 23.

Every test runs against the sandbox and against sekmet.  Patient A holds the token;
patient B's data must never come back, whatever the query says, and where the upstream
*would* have answered with B's data (ground truth, asked directly) the test shows it.
"""

from __future__ import annotations

import pytest

from tests.e2e.world import (
    Answer,
    World,
    empty_searchset,
    mentions,
    observation,
    patient_refs,
    refusal,
)

# --- (c) 1: _include / _revinclude, with :iterate -------------------------------------


@pytest.mark.parametrize("include", [
    "_include=Observation:derived-from",
    "_include=Observation:derived-from:Observation",
    "_include=*",
    "_include:iterate=Observation:derived-from",
])
async def test_1_include_never_brings_in_another_patients_resource(
    world: World, include: str
) -> None:
    """(c) 1: A's Observation derives from B's; including the reference leaves B's out."""
    a, b = world.a, world.b
    theirs = f"Observation/{b.observations[0]}"
    mine = await world.plant(observation(a, derivedFrom=[{"reference": theirs}]))
    truth = await world.truth("GET", f"Observation?_id={mine}&{include}")
    assert theirs in truth.keyset("include")  # the upstream does include B's resource

    answer = await world.get(f"/fhir/Observation?_id={mine}&{include}", await world.token(a))
    assert answer.status == 200, answer.text
    assert answer.keyset("match") == {f"Observation/{mine}"}
    assert theirs not in answer.keyset()
    assert all(b.ref not in patient_refs(r) for r in answer.entries())


async def test_1_include_iterate_never_reaches_another_patient_two_hops_away(world: World) -> None:
    """(c) 1 (``:iterate``): A's report → A's Observation → B's Observation (has-member)."""
    a, b = world.a, world.b
    theirs = f"Observation/{b.observations[0]}"
    panel = await world.plant(observation(a, hasMember=[{"reference": theirs}]))
    report = await world.plant({
        "resourceType": "DiagnosticReport", "status": "final",
        "code": {"text": "Panel"}, "subject": {"reference": a.ref},
        "result": [{"reference": f"Observation/{panel}"}],
    })
    query = (f"DiagnosticReport?_id={report}&_include=DiagnosticReport:result"
             "&_include:iterate=Observation:has-member")
    truth = await world.truth("GET", query)
    assert {f"Observation/{panel}", theirs} <= truth.keyset("include")

    answer = await world.get(f"/fhir/{query}", await world.token(a))
    assert answer.status == 200, answer.text
    assert answer.keyset("match") == {f"DiagnosticReport/{report}"}
    assert answer.keyset("include") == {f"Observation/{panel}"}


@pytest.mark.parametrize("revinclude", ["_revinclude", "_revinclude:iterate"])
async def test_1_revinclude_never_brings_in_another_patients_resource(
    world: World, revinclude: str
) -> None:
    """(c) 1: B's Observation names A as performer; revincluding it onto A leaves it out."""
    a, b = world.a, world.b
    theirs = await world.plant(observation(b, performer=[{"reference": a.ref}]))
    truth = await world.truth("GET", f"Patient?_id={a.id}&{revinclude}=Observation:performer")
    assert f"Observation/{theirs}" in truth.keyset("include")

    answer = await world.get(f"/fhir/Patient?{revinclude}=Observation:performer",
                             await world.token(a))
    assert answer.status == 200, answer.text
    assert answer.keyset("match") == {a.ref}
    assert f"Observation/{theirs}" not in answer.keyset()
    assert not mentions(answer.json, b)


# --- (c) 2: reverse chaining, chains and other inference oracles ----------------------


ORACLES = [
    "Patient?_has:Observation:patient:_id={b_obs}",
    "Patient?_has:Observation:subject:code=8867-4",
    "Observation?subject.name=x",
    "Observation?subject:Patient.birthdate=ge1900",
    "Observation?patient._id={b}",
    "Condition?_filter=code%20eq%20x",
    "Observation?_query=x",
    "Observation?_contained=true",
    "Observation?_containedType=contained",
]


@pytest.mark.parametrize("query", ORACLES)
async def test_2_chains_and_reverse_chains_are_refused_before_the_upstream(
    world: World, query: str
) -> None:
    """(c) 2: ``_has``, chains, ``_filter``, ``_query``, ``_contained`` → 400, nothing sent."""
    target = "/fhir/" + query.format(b=world.b.id, b_obs=world.b.observations[0])
    answer = await world.get(target, await world.token(world.a))
    refusal(answer, 400, "invalid")
    assert world.seen == []


async def test_2_reverse_chain_in_a_post_search_body_is_refused(world: World) -> None:
    """(c) 2: the same oracle sent as ``POST _search`` form data is refused too."""
    answer = await world.call(
        "POST", "/fhir/Patient/_search", await world.token(world.a),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=f"_has:Observation:patient:_id={world.b.observations[0]}".encode())
    refusal(answer, 400, "invalid")
    assert world.seen == []


# --- (c) 11: identity comparison -----------------------------------------------------


NAMING_B = [
    "Observation?patient={b},{a}",
    "Observation?patient={a},{b}",
    "Observation?patient=Patient/{a},Patient/{b}",
    "Observation?patient={a}&patient={b}",
    "Observation?subject=Patient/{b}",
    "Observation?subject={upstream}/Patient/{b}",
    "Observation?subject=https://elsewhere.example/fhir/Patient/{b}",
    "Observation?subject=Patient%2F{b}",
    "Observation?patient=Patient/{b}/_history/1",
    "Observation?subject:Patient={b}",
    "Condition?patient:Patient=Patient/{b}",
    "Patient?_id={b}",
    "Patient/{b}/Observation",
    "Observation/$lastn?patient={b}",
]


@pytest.mark.parametrize("query", NAMING_B)
async def test_11_any_spelling_of_another_patient_matches_nothing(
    world: World, query: str
) -> None:
    """(c) 11: relative, absolute, versioned, encoded, OR-listed and repeated forms of B
    are all recognised: an empty searchset, decided without calling the upstream."""
    a, b = world.a, world.b
    assert (await world.truth("GET", f"Observation?patient=Patient/{b.id}")).entries()
    target = "/fhir/" + query.format(a=a.id, b=b.id, upstream=world.upstream_base)
    answer = await world.get(target, await world.token(a))
    empty_searchset(answer)
    assert world.seen == []


@pytest.mark.parametrize("target", [
    "Patient/{b}", "Patient/{b}/_history/1", "Patient/{b}/_history", "Patient/{b}/$everything",
])
async def test_11_reads_of_another_patient_are_404_without_an_upstream_call(
    world: World, target: str
) -> None:
    answer = await world.get("/fhir/" + target.format(b=world.b.id), await world.token(world.a))
    refusal(answer, 404, "not-found")
    assert world.seen == []


@pytest.mark.parametrize("target", [
    "Observation/{b_obs}", "Observation/{b_obs}/_history/1", "Condition/{b_cond}",
])
async def test_11_reads_of_another_patients_resources_are_404(world: World, target: str) -> None:
    """(c) 11: a read names no patient; the answer is checked and refused as absent."""
    b = world.b
    path = target.format(b_obs=b.observations[0], b_cond=b.conditions[0])
    assert (await world.truth("GET", path)).status == 200
    answer = await world.get(f"/fhir/{path}", await world.token(world.a))
    refusal(answer, 404, "not-found")
    assert not mentions(answer.json, b)


async def test_11_an_id_list_naming_both_patients_returns_only_the_own_record(
    world: World
) -> None:
    a, b = world.a, world.b
    answer = await world.get(f"/fhir/Patient?_id={a.id},{b.id}", await world.token(a))
    assert answer.status == 200, answer.text
    assert answer.keyset() == {a.ref}


async def test_11_searching_by_another_patients_identifier_finds_nothing(world: World) -> None:
    a, b = world.a, world.b
    record = await world.stored(b.ref)
    assert record is not None
    ident = record["identifier"][0]
    query = f"Patient?identifier={ident['system']}|{ident['value']}"
    assert (await world.truth("GET", query)).keyset() == {b.ref}
    answer = await world.get(f"/fhir/{query}", await world.token(a))
    empty_searchset(answer)


# --- (c) 19: existence oracles -------------------------------------------------------


async def _same_refusal(world: World, token: str, theirs: str, absent: str) -> Answer:
    rid = {"X-Request-Id": "e2e-oracle-0001"}
    first = await world.get(f"/fhir/{theirs}", token, headers=rid)
    second = await world.get(f"/fhir/{absent}", token, headers=rid)
    assert (first.status, first.body) == (second.status, second.body)
    return first


@pytest.mark.parametrize(("theirs", "absent"), [
    ("Patient/{b}", "Patient/no-such-{b}"),
    ("Patient/{b}/Observation", "Patient/no-such-{b}/Observation"),
    ("Observation?patient={b}", "Observation?patient=no-such-{b}"),
    ("Observation/{b_obs}", "Observation/no-such-{b_obs}"),
    ("Observation/{b_obs}/_history/1", "Observation/no-such-{b_obs}/_history/1"),
    ("Condition/{b_cond}", "Condition/no-such-{b_cond}"),
])
async def test_19_another_patients_resource_and_a_missing_one_look_the_same(
    world: World, theirs: str, absent: str
) -> None:
    """(c) 19: same status and byte-identical body for "not yours" and "absent"."""
    b = world.b
    values = {"b": b.id, "b_obs": b.observations[0], "b_cond": b.conditions[0]}
    await _same_refusal(world, await world.token(world.a), theirs.format(**values),
                        absent.format(**values))


async def test_19_a_deleted_resource_of_another_patient_looks_absent(world: World) -> None:
    """(c) 19: B's deleted Observation must not answer "gone" (410) to A: that says it was."""
    b = world.b
    gone = await world.plant(observation(b))
    assert (await world.truth("DELETE", f"Observation/{gone}")).status in (200, 204)
    answer = await _same_refusal(world, await world.token(world.a), f"Observation/{gone}",
                                 "Observation/no-such-resource")
    refusal(answer, 404, "not-found")


# --- (c) 20: post-processing fails closed --------------------------------------------


@pytest.mark.parametrize("accept", ["application/fhir+xml", "application/xml"])
async def test_20_an_answer_the_proxy_cannot_inspect_is_never_relayed(
    world: World, accept: str
) -> None:
    """(c) 20: a format the post-check cannot read (sekmet answers XML when asked) is never
    asked for: under a patient grant the proxy answers only FHIR JSON, refuses any other
    Accept with 406 before calling the upstream, and asks the upstream for JSON."""
    a, b = world.a, world.b
    token = await world.token(a)
    for key in (f"Observation/{b.observations[0]}", f"Observation/{a.observations[0]}",
                "Observation"):
        answer = await world.get(f"/fhir/{key}", token, headers={"Accept": accept})
        refusal(answer, 406, "not-supported")
        assert not mentions(answer.text, b)
    assert world.seen == []
    mixed = await world.get(f"/fhir/Observation/{a.observations[0]}", token,
                            headers={"Accept": f"{accept}, application/fhir+json;q=0.5"})
    assert mixed.status == 200 and mixed.json["resourceType"] == "Observation"


async def test_20_a_non_json_format_parameter_is_refused(world: World) -> None:
    answer = await world.get("/fhir/Observation?_format=xml", await world.token(world.a))
    refusal(answer, 400, "invalid")
    assert world.seen == []


# --- (c) 23: resources outside the Patient compartment --------------------------------


@pytest.mark.parametrize("scope", ["patient/*.rs", "patient/Practitioner.rs"])
async def test_23_the_patients_practitioner_is_readable_with_a_patient_scope(
    world: World, scope: str
) -> None:
    a = world.a
    practitioner = a.practitioners[0]
    answer = await world.get(f"/fhir/Practitioner/{practitioner}", await world.token(a, scope))
    assert answer.status == 200, answer.text
    assert (answer.json["resourceType"], answer.json["id"]) == ("Practitioner", practitioner)


async def test_23_a_planted_organization_is_readable_and_searchable(world: World) -> None:
    a = world.a
    org = await world.plant({"resourceType": "Organization", "name": "E2E Community Clinic"})
    token = await world.token(a)
    read = await world.get(f"/fhir/Organization/{org}", token)
    assert read.status == 200, read.text
    assert read.json["name"] == "E2E Community Clinic"
    search = await world.get(f"/fhir/Organization?_id={org}", token)
    assert search.keyset() == {f"Organization/{org}"}


async def test_23_included_practitioners_survive_the_post_filter(world: World) -> None:
    a = world.a
    answer = await world.get(f"/fhir/Observation?_id={a.observations[0]}"
                             "&_include=Observation:performer", await world.token(a))
    assert answer.status == 200, answer.text
    assert f"Practitioner/{a.practitioners[0]}" in answer.keyset("include")


async def test_23_shared_types_still_need_a_scope_for_their_type(world: World) -> None:
    a = world.a
    token = await world.token(a, "patient/Observation.rs")
    answer = await world.get(f"/fhir/Practitioner/{a.practitioners[0]}", token)
    refusal(answer, 403, "forbidden")
    assert world.seen == []


@pytest.mark.parametrize("rtype", ["Questionnaire", "Library", "Group"])
async def test_23_other_types_outside_the_compartment_stay_closed(
    world: World, rtype: str
) -> None:
    """(c) 23: only the configured shared types open up; a wildcard patient scope does not
    reach cohort definitions or knowledge artefacts."""
    answer = await world.get(f"/fhir/{rtype}", await world.token(world.a))
    if rtype == "Group":  # in the R4 compartment (member), but never shown to a patient app
        assert answer.status == 200, answer.text
        assert answer.entries() == []
    else:
        refusal(answer, 403, "forbidden")
        assert world.seen == []
