"""A 50 MB Binary streams through the real proxy process without being held in memory."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
import uuid
from pathlib import Path

import aiohttp
import psutil
import pytest

from smart_proxy.grants import Grant, issue_access_token
from smart_proxy.state import RedisStore
from tests.processes import free_port, proxy_config, start, stop, wait_until_up

SIZE = 50 * 1024 * 1024
RSS_LIMIT = 150 * 1024 * 1024

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def test_50mb_binary_streams_under_150mb_rss(tmp_path: Path) -> None:
    sandbox_port, proxy_port = free_port(), free_port()
    sandbox_log, proxy_log = tmp_path / "sandbox.log", tmp_path / "proxy.log"
    sandbox = start(["sandbox", "--port", str(sandbox_port)], sandbox_log)
    proxy = None
    store = RedisStore("redis://127.0.0.1:6379/0")
    try:
        await wait_until_up(f"http://127.0.0.1:{sandbox_port}/fhir/metadata", sandbox, sandbox_log)
        payload = hashlib.sha256(b"seed").digest() * (SIZE // 32)
        async with aiohttp.ClientSession() as session, session.post(
            f"http://127.0.0.1:{sandbox_port}/fhir/Binary",
            data=io.BytesIO(payload),
            headers={"Content-Type": "application/octet-stream"},
        ) as created:
            assert created.status == 201
            binary_id = created.headers["Location"].split("/Binary/")[1].split("/")[0]

        config = proxy_config(tmp_path, proxy_port, sandbox_port, "redis://127.0.0.1:6379/0")
        proxy = start(["serve", "--config", str(config)], proxy_log)
        await wait_until_up(f"http://127.0.0.1:{proxy_port}/healthz", proxy, proxy_log)
        now = time.time()
        # Binary is outside the patient compartment: a user/ scope reaches it, a patient/ one not.
        grant = Grant(str(uuid.uuid4()), "demo-patient-app", ("user/Binary.r",), now - 1, now + 600,
                      fhir_user="Practitioner/d1")
        token = await issue_access_token(store, grant, now)

        watched = psutil.Process(proxy.pid)
        peak = watched.memory_info().rss
        digest = hashlib.sha256()
        received = 0
        async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{proxy_port}/fhir/Binary/{binary_id}",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/octet-stream"},
        ) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/octet-stream"
            async for chunk in response.content.iter_chunked(256 * 1024):
                digest.update(chunk)
                received += len(chunk)
                peak = max(peak, watched.memory_info().rss)
                await asyncio.sleep(0)
        assert received == SIZE
        assert digest.hexdigest() == hashlib.sha256(payload).hexdigest()
        assert peak < RSS_LIMIT, f"proxy resident memory peaked at {peak / 2**20:.0f} MiB"
    finally:
        for process in (proxy, sandbox):
            if process is not None:
                stop(process)
        await store.close()
