"""Paging links and totals through the proxy: peer-gateways.md part (c), items 3 and 4.

Paging links are the proxy's signed cursors, bound to the grant and expiring; a tampered,
expired or borrowed cursor is refused before anything reaches the upstream.  Totals are
stripped whenever the post-filter could have removed an entry, so a count never tells
what the app was not shown.
"""

from __future__ import annotations

import pytest
from yarl import URL

from tests.e2e.world import PUBLIC_FHIR, World, mentions, observation, refusal

# --- (c) 3: paging-link tampering and cross-user replay -------------------------------


async def _first_page(world: World, token: str) -> str:
    answer = await world.get("/fhir/Observation?_count=2", token)
    assert answer.status == 200, answer.text
    link = answer.link("next")
    assert link is not None and link.startswith(f"{PUBLIC_FHIR}/_page?cursor="), link
    return link


async def test_3_every_page_is_the_patients_and_every_link_is_a_proxy_cursor(
    world: World
) -> None:
    a, b = world.a, world.b
    token = await world.token(a)
    truth = await world.truth("GET", f"Observation?patient=Patient/{a.id}&_count=500")
    expected = truth.keyset("match")
    collected: set[str] = set()
    answer = await world.get("/fhir/Observation?_count=2", token)
    for _ in range(len(expected)):
        assert answer.status == 200, answer.text
        assert world.upstream_base not in answer.text
        assert not mentions(answer.json, b)
        for link in answer.json.get("link", []):
            assert link["url"].startswith(f"{PUBLIC_FHIR}/_page?cursor="), link
        collected |= answer.keyset("match")
        following = answer.link("next")
        if following is None:
            break
        answer = await world.follow(following, token)
    assert collected == expected


@pytest.mark.parametrize("mangle", [
    pytest.param(lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"), id="signature"),
    pytest.param(lambda c: "e30" + c[3:], id="payload"),
    pytest.param(lambda c: c[: len(c) // 2], id="truncated"),
    pytest.param(lambda c: "", id="empty"),
])
async def test_3_a_tampered_cursor_is_refused_without_an_upstream_call(
    world: World, mangle: object
) -> None:
    token = await world.token(world.a)
    link = URL(await _first_page(world, token))
    before = len(world.seen)
    bad = link.with_query(cursor=mangle(link.query["cursor"]))  # type: ignore[operator]
    refusal(await world.follow(str(bad), token), 400, "invalid")
    assert len(world.seen) == before


@pytest.mark.parametrize("holder", ["same patient, other grant", "other patient"])
async def test_3_a_cursor_is_bound_to_its_grant(world: World, holder: str) -> None:
    mine = await world.token(world.a)
    link = await _first_page(world, mine)
    before = len(world.seen)
    other = await world.token(world.a if holder.startswith("same") else world.b)
    diagnostics = refusal(await world.follow(link, other), 400, "invalid")
    assert "another grant" in diagnostics
    assert len(world.seen) == before


async def test_3_an_expired_cursor_is_refused(world: World) -> None:
    token = await world.token(world.a)
    link = await _first_page(world, token)
    before = len(world.seen)
    world.clock.advance(31 * 60)
    assert "expired" in refusal(await world.follow(link, token), 400, "invalid")
    assert len(world.seen) == before


@pytest.mark.parametrize("query", [
    "cursor={upstream}/Observation?patient=Patient/{b}",
    "url={upstream}/Observation?patient=Patient/{b}",
    "_getpages=x&cursor=",
])
async def test_3_a_client_supplied_upstream_url_is_never_fetched(world: World, query: str) -> None:
    target = "/fhir/_page?" + query.format(upstream=world.upstream_base, b=world.b.id)
    refusal(await world.get(target, await world.token(world.a)), 400, "invalid")
    assert world.seen == []


# --- (c) 4: totals and counts --------------------------------------------------------


async def _hidden_observation(world: World) -> str:
    """A's Observation that also names B (as performer): the post-filter removes it."""
    return await world.plant(observation(world.a, performer=[{"reference": world.b.ref}]))


@pytest.mark.parametrize("total", ["", "&_total=accurate", "&_total=estimate"])
@pytest.mark.parametrize("hidden", [True, False], ids=["one-removed", "none-removed"])
async def test_4_no_total_when_the_filter_could_have_removed_entries(
    world: World, total: str, hidden: bool
) -> None:
    """Stripped whether or not this page lost an entry: a total present only when nothing
    was removed would itself tell when something was."""
    a = world.a
    removed = {f"Observation/{await _hidden_observation(world)}"} if hidden else set()
    truth = await world.truth("GET", f"Observation?patient=Patient/{a.id}&_count=500{total}")
    assert removed <= truth.keyset()
    assert truth.json["total"] == len(truth.entries())

    answer = await world.get(f"/fhir/Observation?_count=500{total}", await world.token(a))
    assert answer.status == 200, answer.text
    assert "total" not in answer.json
    assert answer.keyset() == truth.keyset() - removed


@pytest.mark.parametrize("target", [
    "Observation?_summary=count",
    "Observation?_summary=count&_total=accurate",
    "Patient/{a}/Observation?_summary=count",
])
async def test_4_summary_count_discloses_no_count(world: World, target: str) -> None:
    a = world.a
    await _hidden_observation(world)
    truth = await world.truth("GET", f"Observation?patient=Patient/{a.id}&_summary=count")
    assert truth.json["total"] > 0  # what the upstream would have told
    answer = await world.get("/fhir/" + target.format(a=a.id), await world.token(a))
    assert answer.status == 200, answer.text
    assert answer.json["resourceType"] == "Bundle"
    assert "total" not in answer.json
    assert answer.json.get("entry", []) == []


async def test_4_everything_carries_no_total(world: World) -> None:
    a = world.a
    await _hidden_observation(world)
    answer = await world.get(f"/fhir/Patient/{a.id}/$everything", await world.token(a))
    assert answer.status == 200, answer.text
    assert "total" not in answer.json
