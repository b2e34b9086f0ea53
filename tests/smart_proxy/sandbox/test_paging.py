"""Real paging: follow ``next`` to the end and get every match exactly once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from .support import all_pages, base_url, get_json, keys, link


@pytest.mark.parametrize(("query", "count"), [
    ("Observation?patient=p6", 7),
    ("Observation?_sort=-date", 50),
    ("Observation?category=vital-signs&_sort=date,_id", 13),
    ("Condition", 5),
])
async def test_following_next_yields_the_unpaged_result(client: TestClient, query: str,
                                                        count: int) -> None:
    unpaged = await get_json(client, f"/fhir/{query}{'&' if '?' in query else '?'}_count=200")
    total = unpaged["total"]
    assert total > count
    pages, matches = await all_pages(client, f"/fhir/{query}&_count={count}"
                                     if "?" in query else f"/fhir/{query}?_count={count}")
    found = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in matches]
    assert len(found) == len(set(found)) == total
    assert found[:200] == keys(unpaged)  # the unpaged request is capped at 200
    assert len(pages) == -(-total // count)
    assert all(page["total"] == total for page in pages)
    assert all(len(page["entry"]) == count for page in pages[:-1])


async def test_links_are_absolute_and_complete(client: TestClient) -> None:
    base = base_url(client)
    first = await get_json(client, "/fhir/Observation?patient=p6&_count=10")
    total = first["total"]
    relations = [item["relation"] for item in first["link"]]
    assert relations == ["self", "first", "next", "last"]
    assert all(item["url"].startswith(f"{base}/Observation?") for item in first["link"])
    next_query = parse_qs(urlsplit(str(link(first, "next"))).query)
    assert next_query == {"patient": ["p6"], "_count": ["10"], "_getpagesoffset": ["10"]}
    last_url = str(link(first, "last"))
    last = await get_json(client, last_url)
    assert parse_qs(urlsplit(last_url).query)["_getpagesoffset"] == [str((total - 1) // 10 * 10)]
    assert link(last, "next") is None
    previous = link(last, "previous")
    assert previous is not None
    back = await get_json(client, previous)
    assert back["entry"][0]["fullUrl"] != last["entry"][0]["fullUrl"]
    assert link(back, "previous") is not None


async def test_entries_have_full_urls_and_match_mode(client: TestClient) -> None:
    base = base_url(client)
    bundle = await get_json(client, "/fhir/Patient?_count=3")
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{base}/Patient/{resource['id']}"
        assert entry["search"] == {"mode": "match"}


async def test_a_page_past_the_end_is_empty(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir/Patient?_count=5&_getpagesoffset=100")
    assert bundle["total"] == 8 and "entry" not in bundle
    assert link(bundle, "next") is None


async def test_includes_are_per_page(client: TestClient) -> None:
    pages, _ = await all_pages(
        client, "/fhir/MedicationRequest?_include=MedicationRequest:medication&_count=4")
    for page in pages:
        included = keys(page, "include")
        referenced = {e["resource"]["medicationReference"]["reference"]
                      for e in page.get("entry", [])
                      if e["search"]["mode"] == "match" and "medicationReference" in e["resource"]}
        assert set(included) == referenced
