"""The benchmark's baseline: the proxy's forwarding with enforcement off, and the load tallies."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from yarl import URL

from bench.load import Result
from bench.passthrough import create_passthrough
from tests.support import UPSTREAM_SECRET, make_config


async def test_forwards_with_the_proxy_plumbing_and_no_token(
    aiohttp_server: Any, aiohttp_client: Any,
) -> None:
    seen: list[web.Request] = []

    async def upstream_handler(request: web.Request) -> web.Response:
        seen.append(request)
        base = f"http://{request.host}/fhir"
        bundle = {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": [
            {"fullUrl": f"{base}/Observation/o1",
             "resource": {"resourceType": "Observation", "id": "o1"}}]}
        return web.json_response(bundle, content_type="application/fhir+json",
                                 headers={"Set-Cookie": "upstream=1"})

    upstream = web.Application()
    upstream.router.add_get("/fhir/{tail:.*}", upstream_handler)
    server = await aiohttp_server(upstream)
    client = await aiohttp_client(create_passthrough(make_config(str(server.make_url("/fhir")))))

    response = await client.get("/fhir/Observation?patient=p2&_count=50",
                                headers={"Authorization": "Bearer not-checked", "Cookie": "a=b"})

    assert response.status == 200
    body = await response.json(content_type="application/fhir+json")
    assert body["entry"][0]["fullUrl"] == "https://proxy.example.org/fhir/Observation/o1"
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    [forwarded] = seen
    assert forwarded.raw_path == "/fhir/Observation?patient=p2&_count=50"
    assert forwarded.headers["Authorization"] == f"Bearer {UPSTREAM_SECRET}"
    assert "Cookie" not in forwarded.headers


async def test_refuses_what_the_proxy_path_check_refuses(aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_passthrough(make_config("http://127.0.0.1:9/fhir")))
    response = await client.get(URL("/fhir/Patient/a%2Fb", encoded=True))
    assert response.status == 400  # before any upstream call (there is no upstream)


def test_results_of_rounds_add_up() -> None:
    first = Result("full", 2, 1.0, [0.001, 0.003], 10)
    second = Result("full", 2, 3.0, [0.002, 0.004], 12)
    both = Result.combined([first, second])
    assert (both.requests, both.seconds, both.rps, both.body_bytes) == (4, 4.0, 1.0, 12)
    assert both.percentile(0.5) == 3.0
    assert both.percentile(0.99) == 4.0
