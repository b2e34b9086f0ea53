"""``smart-proxy demo`` starts sandbox and proxy together and hands out a working token."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from tests.processes import free_port, start, stop, wait_until_up

pytestmark = pytest.mark.slow


async def test_demo_serves_the_sandbox_through_the_proxy(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    demo = start(["demo", "--port", str(port)], log)
    try:
        await wait_until_up(f"http://127.0.0.1:{port}/readyz", demo, log)
        for _ in range(50):
            match = re.search(r"Bearer ([A-Za-z0-9_\-]{40,})", log.read_text())
            if match:
                break
            await asyncio.sleep(0.1)
        assert match, log.read_text()
        token = match.group(1)
        base = f"http://127.0.0.1:{port}/fhir"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/Patient/p1", headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 200
                assert (await r.json(content_type=None))["id"] == "p1"
            async with session.get(f"{base}/Patient/p1") as r:
                assert r.status == 401
            async with session.get(f"{base}/metadata") as r:
                assert r.status == 200
            async with session.get(f"http://127.0.0.1:{port}/readyz") as r:
                assert await r.json() == {"status": "ready", "checks": {"store": "ok", "upstream": "ok"}}
        assert f"FHIR base (through the proxy)  {base}" in log.read_text()
    finally:
        stop(demo)
