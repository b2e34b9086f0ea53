"""The load generator of the HTTP benchmarks: N GETs of one URL, C at a time.

Each run is warmed up first (connections, caches, the proxy's grant cache), then timed.
Every answer must be 200: a benchmark of refusals would measure nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

WARM_UP = 100


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    body_bytes: int

    @classmethod
    def combined(cls, parts: list[Result]) -> Result:
        """One result of several runs against the same target (rounds of one benchmark)."""
        return cls(parts[0].name, sum(p.requests for p in parts), sum(p.seconds for p in parts),
                   [latency for p in parts for latency in p.latencies], parts[-1].body_bytes)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the latencies, in ms."""
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

        for _ in range(min(WARM_UP, total)):
            async with session.get(url, headers=headers) as response:
                await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Result(name, total, seconds, latencies, body_bytes)
