"""Instance, type and system history."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from .support import base_url, get_json, issue, link, send


async def _three_versions(client: TestClient) -> str:
    """Update then delete Patient/p5; the instant of the update."""
    patient = await get_json(client, "/fhir/Patient/p5")
    updated, _ = await send(client, "PUT", "/fhir/Patient/p5", {**patient, "active": False})
    await send(client, "DELETE", "/fhir/Patient/p5", status=204)
    assert updated is not None
    return str(updated["meta"]["lastUpdated"])


async def test_instance_history_newest_first(client: TestClient) -> None:
    await _three_versions(client)
    bundle = await get_json(client, "/fhir/Patient/p5/_history")
    assert bundle["type"] == "history" and bundle["total"] == 3
    deleted, updated, created = bundle["entry"]
    assert "resource" not in deleted
    assert deleted["request"] == {"method": "DELETE", "url": "Patient/p5"}
    assert deleted["response"]["status"] == "204 No Content"
    assert updated["resource"]["active"] is False
    assert updated["request"] == {"method": "PUT", "url": "Patient/p5"}
    assert updated["response"]["status"] == "200 OK"
    assert updated["response"]["etag"] == 'W/"2"'
    assert created["response"]["status"] == "201 Created"
    assert created["fullUrl"] == f"{base_url(client)}/Patient/p5"
    assert [e["response"]["etag"] for e in bundle["entry"]] == ['W/"3"', 'W/"2"', 'W/"1"']


async def test_created_versions_are_posts(client: TestClient) -> None:
    body, _ = await send(client, "POST", "/fhir/Basic", {"resourceType": "Basic",
                                                         "code": {"text": "note"}}, status=201)
    assert body is not None
    history = await get_json(client, f"/fhir/Basic/{body['id']}/_history")
    assert history["entry"][0]["request"] == {"method": "POST", "url": "Basic"}


async def test_type_and_system_history_with_since(client: TestClient) -> None:
    since = await _three_versions(client)
    everything = await get_json(client, "/fhir/Patient/_history?_count=200")
    assert everything["total"] == 8 + 2
    recent = await get_json(client, f"/fhir/Patient/_history?_since={since}")
    assert [e["response"]["etag"] for e in recent["entry"]] == ['W/"3"', 'W/"2"']
    system = await get_json(client, f"/fhir/_history?_since={since}&_count=1")
    assert system["total"] == 2 and len(system["entry"]) == 1
    assert "_since=" in system["link"][0]["url"]
    pages = await follow(client, system)
    assert len(pages) == 2
    assert pages[1]["entry"][0]["response"]["etag"] == 'W/"2"'


async def follow(client: TestClient, first: dict[str, Any]) -> list[dict[str, Any]]:
    pages = [first]
    while next_url := link(pages[-1], "next"):
        pages.append(await get_json(client, next_url))
    return pages


async def test_history_paging_covers_every_version(client: TestClient) -> None:
    first = await get_json(client, "/fhir/Observation/_history?_count=60")
    pages = await follow(client, first)
    seen = [(e["fullUrl"], e["response"]["etag"]) for p in pages for e in p["entry"]]
    assert len(seen) == len(set(seen)) == first["total"]


async def test_history_errors(client: TestClient) -> None:
    await get_json(client, "/fhir/Patient/nobody/_history", status=404)
    body = await get_json(client, "/fhir/Patient/p1/_history?_since=soon", status=400)
    assert "_since" in issue(body)["diagnostics"]
    await get_json(client, "/fhir/Patient/p1/_history?_at=2024", status=400)
    await get_json(client, "/fhir/Patient/p1/_history?bogus=1", status=400)
    assert (await get_json(client, "/fhir/Patient/p1/_history?bogus=1",
                           headers={"Prefer": "handling=lenient"}))["total"] == 1
