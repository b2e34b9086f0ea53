"""Requests/s and latency through the proxy versus straight to the upstream.

Run:  .venv/bin/python -m bench.proxy_throughput [--requests N] [--concurrency C]

Starts the sandbox FHIR server and ``smart-proxy serve`` (Redis state) as child
processes, then drives the same small read (``GET Patient/{id}``, about 1 KB)
first directly against the sandbox and then through the proxy, in the same run,
and prints requests/s, p50 and p99 for each and the proxy/direct ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from smart_proxy.grants import Grant, issue_access_token
from smart_proxy.state import RedisStore
from tests.processes import free_port, proxy_config, start, stop, wait_until_up


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    body_bytes: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (f"{self.name:<28} {self.rps:>9.0f} req/s   p50 {self.percentile(0.5):6.2f} ms   "
                f"p99 {self.percentile(0.99):6.2f} ms   body {self.body_bytes} B")


async def drive(name: str, url: str, headers: dict[str, str], total: int, concurrency: int) -> Result:
    latencies: list[float] = []
    remaining = total
    body_bytes = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal remaining, body_bytes
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                async with session.get(url, headers=headers) as response:
                    body = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{name}: HTTP {response.status}")
                latencies.append(time.perf_counter() - started)
                body_bytes = len(body)

        for _ in range(min(200, total)):  # warm-up: connections, caches
            async with session.get(url, headers=headers) as response:
                await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Result(name, total, seconds, latencies, body_bytes)


async def main(requests: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sandbox_port, proxy_port = free_port(), free_port()
        sandbox = start(["sandbox", "--port", str(sandbox_port)], tmp / "sandbox.log")
        proxy = start(
            ["serve", "--config", str(proxy_config(tmp, proxy_port, sandbox_port, "redis://127.0.0.1:6379/0"))],
            tmp / "proxy.log",
        )
        store = RedisStore("redis://127.0.0.1:6379/0")
        try:
            await wait_until_up(f"http://127.0.0.1:{sandbox_port}/fhir/metadata", sandbox, tmp / "sandbox.log")
            await wait_until_up(f"http://127.0.0.1:{proxy_port}/healthz", proxy, tmp / "proxy.log")
            now = time.time()
            grant = Grant(str(uuid.uuid4()), "demo-patient-app", ("patient/*.rs",), now - 1, now + 3600, patient="p1")
            token = await issue_access_token(store, grant, now)
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{sandbox_port}/fhir/Patient?_count=1") as r:
                    patient_id = (await r.json(content_type=None))["entry"][0]["resource"]["id"]
            path = f"/fhir/Patient/{patient_id}"
            direct = await drive("direct to sandbox", f"http://127.0.0.1:{sandbox_port}{path}", {}, requests, concurrency)
            proxied = await drive(
                "through smart-proxy", f"http://127.0.0.1:{proxy_port}{path}",
                {"Authorization": f"Bearer {token}"}, requests, concurrency,
            )
        finally:
            stop(proxy)
            stop(sandbox)
            await store.close()
    print(f"small read GET {path}: {requests} requests, concurrency {concurrency}, state redis")
    print(direct.line())
    print(proxied.line())
    print(f"proxy / direct throughput: {proxied.rps / direct.rps:.2f}   "
          f"added p50 latency: {proxied.percentile(0.5) - direct.percentile(0.5):.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
