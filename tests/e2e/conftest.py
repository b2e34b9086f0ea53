"""Fixtures of the end-to-end suite: ``world`` is the proxy in front of each upstream.

``world`` is parametrised over ``sandbox`` (the project's own server, fresh per test) and
``sekmet`` (sekmet-fhir from PyPI, one child process per session, marked ``sekmet`` so a
quick local run can leave it out with ``-m "not sekmet"``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from smart_proxy.app import create_app
from smart_proxy.sandbox import create_sandbox_app
from smart_proxy.state import MemoryStore
from tests.e2e.upstreams import Seen, Sekmet, load_cohort, recorder, start_sekmet
from tests.e2e.world import Chart, ShiftedClock, World, discover
from tests.processes import free_port
from tests.support import UPSTREAM_SECRET, make_config


@pytest.fixture(scope="session")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sekmet]:
    folder: Path = tmp_path_factory.mktemp("sekmet")
    server = start_sekmet(folder, free_port(), UPSTREAM_SECRET)
    try:
        load_cohort(server)
        yield server
    finally:
        server.stop()


_CHARTS: dict[str, tuple[Chart, ...]] = {}


@pytest.fixture(params=["sandbox", pytest.param("sekmet", marks=pytest.mark.sekmet)])
async def world(
    request: pytest.FixtureRequest, aiohttp_server: Any, aiohttp_client: Any,
    store: MemoryStore, issue_token: Any,
) -> AsyncIterator[World]:
    if request.param == "sandbox":
        seen: list[Seen] = []
        sandbox = create_sandbox_app(patients=4)
        sandbox.middlewares.append(recorder(seen))
        server = await aiohttp_server(sandbox)
        direct_base = upstream_base = str(server.make_url("/fhir"))
    else:
        running: Sekmet = request.getfixturevalue("sekmet")
        running.relay.seen.clear()
        seen = running.relay.seen
        direct_base, upstream_base = running.direct, running.relay.base
    clock = ShiftedClock()
    proxy = await aiohttp_client(create_app(make_config(upstream_base), store=store, clock=clock))
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {UPSTREAM_SECRET}"}) as direct:
        world = World(request.param, proxy, direct, direct_base, upstream_base, seen,
                      issue_token, clock, ())
        if request.param not in _CHARTS:  # the same seeded data every time: ask once
            _CHARTS[request.param] = await discover(world.truth)
        world.charts = _CHARTS[request.param]
        try:
            yield world
        finally:
            await world.remove_planted()
