"""Small HTTP helpers shared by the sandbox tests."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

FHIR_JSON = "application/fhir+json"
Json = dict[str, Any]


def base_url(client: TestClient) -> str:
    return str(client.make_url("/fhir"))


async def request(client: TestClient, method: str, url: str, **kwargs: Any) -> ClientResponse:
    """A request to a path, or to an absolute URL the server handed out (a paging link)."""
    if url.startswith("http"):
        return await client.session.request(method, url, **kwargs)
    return await client.request(method, url, **kwargs)


async def get_json(client: TestClient, url: str, status: int = 200, **kwargs: Any) -> Json:
    response = await request(client, "GET", url, **kwargs)
    body = orjson.loads(await response.read())
    assert response.status == status, body
    return body


async def send(client: TestClient, method: str, url: str, body: Any = None,
               status: int = 200, headers: dict[str, str] | None = None
               ) -> tuple[Json | None, ClientResponse]:
    """``(JSON body or None, response)`` of a FHIR JSON request, asserting the status."""
    sent = {"Content-Type": FHIR_JSON, **(headers or {})}
    data = orjson.dumps(body) if body is not None else None
    response = await request(client, method, url, data=data, headers=sent)
    raw = await response.read()
    payload = orjson.loads(raw) if raw else None
    assert response.status == status, payload
    return payload, response


async def all_pages(client: TestClient, url: str) -> tuple[list[Json], list[Json]]:
    """Follow ``next`` links from ``url``: ``(pages, match entries of all pages)``."""
    pages: list[Json] = []
    matches: list[Json] = []
    next_url: str | None = url
    while next_url:
        page = await get_json(client, next_url)
        pages.append(page)
        matches += [e for e in page.get("entry", []) if e["search"]["mode"] == "match"]
        next_url = link(page, "next")
        assert len(pages) < 200
    return pages, matches


def link(bundle: Json, relation: str) -> str | None:
    return next((item["url"] for item in bundle.get("link", [])
                 if item["relation"] == relation), None)


def keys(bundle: Json, mode: str | None = "match") -> list[str]:
    """``Type/id`` of the bundle's entries (of one search mode, or all with ``None``)."""
    return [f"{e['resource']['resourceType']}/{e['resource']['id']}"
            for e in bundle.get("entry", [])
            if mode is None or e.get("search", {}).get("mode") == mode]


def issue(outcome: Json) -> Json:
    assert outcome["resourceType"] == "OperationOutcome", outcome
    first: Json = outcome["issue"][0]
    return first
