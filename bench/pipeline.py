"""The proxy's cost, in one run: full pipeline vs enforcement off vs direct, and the post-filter.

Run:  .venv/bin/python -m bench.pipeline [--requests N] [--bundle-requests N] [--concurrency C]

Starts three child processes: the sandbox FHIR server, ``smart-proxy serve`` on Redis
state (127.0.0.1:6379, ``bash scripts/ensure-redis``) and the passthrough
(``bench.passthrough``: the same forwarding code with no token lookup, gate, decision or
post-filter).  A ``patient/*.rs`` grant for the sandbox patient with the most
Observations is written straight into Redis.  Two workloads, each against the three
targets in turn:

- read: ``GET Observation/{id}``, one of that patient's Observations (about 1 KB);
- search: ``GET Observation?patient={id}&_count=50``, a 50-entry searchset Bundle, all
  of them the patient's own: every target is checked to answer 50 entries before timing.

For each it prints requests/s, p50 and p99, then full/passthrough and full/direct, with
the issue's targets (full ≥ 80% of the passthrough's requests/s on the read, ≥ 50% on the
search).  Then, with the servers stopped, the post-filter of a ~5 MB searchset
(``bench.postfilter``; target ≤ 60 ms).

The machine the figures are recorded on has 2 cores, shared by the load generator (an
aiohttp client, itself CPU-bound), the sandbox, the target proxy and Redis.  The default
concurrency, 8, is about what keeps the busiest process (the proxy, with enforcement on)
saturated there, so requests/s measure capacity; with 2 or 4 in flight they measure
mostly latency (the ratios come out higher), and with more only queueing grows.  Absolute
numbers depend on the machine and on whatever else runs on it; compare the ratios of one
run.  Defaults take about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench import postfilter
from bench.load import Result, drive
from smart_proxy.grants import Grant, issue_access_token, revoke_grant
from smart_proxy.state import RedisStore
from tests.processes import free_port, proxy_config, start, stop, wait_until_up

REDIS = "redis://127.0.0.1:6379/0"
BUNDLE_ENTRIES = 50
TARGETS = {"read": 0.80, "search": 0.50}  # full / passthrough requests/s
POSTFILTER_TARGET_MS = 60.0
# Targets take turns, so a burst of other work on the machine hits all three alike.
ROUNDS = 3
DEFAULT_CONCURRENCY = 8


@dataclass
class Workload:
    name: str
    path: str
    requests: int


@dataclass
class Servers:
    direct: str
    passthrough: str
    full: str


async def main(requests: int, bundle_requests: int, concurrency: int, runs: int) -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        names = ("sandbox", "passthrough", "full")
        ports = {name: free_port() for name in names}
        for name in ("passthrough", "full"):
            (tmp / name).mkdir()
        processes = [
            start(["sandbox", "--port", str(ports["sandbox"])], tmp / "sandbox.log"),
            _start_module("bench.passthrough", _config(tmp / "passthrough", ports), tmp / "pass.log"),
            start(["serve", *_config(tmp / "full", ports)], tmp / "full.log"),
        ]
        servers = Servers(*(f"http://127.0.0.1:{ports[name]}/fhir" for name in names))
        store = RedisStore(REDIS)
        grant_id = str(uuid.uuid4())
        try:
            for base, process, log in zip(
                    (servers.direct, servers.passthrough, servers.full), processes,
                    (tmp / "sandbox.log", tmp / "pass.log", tmp / "full.log"), strict=True):
                await wait_until_up(f"{base}/metadata", process, log)
            patient, observation = await _pick_patient(servers.direct)
            now = time.time()
            grant = Grant(grant_id, "demo-patient-app", ("patient/*.rs",), now - 1, now + 3600,
                          patient=patient)
            token = await issue_access_token(store, grant, now)
            workloads = [
                Workload("read", f"/Observation/{observation}", requests),
                Workload("search", f"/Observation?patient={patient}&_count={BUNDLE_ENTRIES}",
                         bundle_requests),
            ]
            results = [await _measure(w, servers, token, concurrency) for w in workloads]
        finally:
            for process in reversed(processes):
                stop(process)
            await revoke_grant(store, grant_id)
            await store.close()
    print(f"patient {patient} (grant patient/*.rs, state redis), concurrency {concurrency}, "
          f"{ROUNDS} rounds per target; load average before {load_before:.2f}, "
          f"after {os.getloadavg()[0]:.2f} (other work on the machine skews all figures)")
    for workload, (direct, passthrough, full) in zip(workloads, results, strict=True):
        _report(workload, direct, passthrough, full)
    _report_postfilter(runs)


def _config(folder: Path, ports: dict[str, int]) -> list[str]:
    name = folder.name
    return ["--config", str(proxy_config(folder, ports[name], ports["sandbox"], REDIS))]


def _start_module(module: str, args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", module, *args],
                                stdout=out, stderr=subprocess.STDOUT)


async def _pick_patient(direct: str) -> tuple[str, str]:
    """The patient with the most Observations (at least 50), and one of them."""
    async with aiohttp.ClientSession() as session:
        patients = await _get(session, f"{direct}/Patient?_count=100", {})
        best: tuple[int, str, str] = (0, "", "")
        for entry in patients["entry"]:
            patient = entry["resource"]["id"]
            found = await _get(session, f"{direct}/Observation?patient={patient}&_count=1", {})
            if found.get("total", 0) > best[0]:
                best = (found["total"], patient, found["entry"][0]["resource"]["id"])
    if best[0] < BUNDLE_ENTRIES:
        raise SystemExit(f"no sandbox patient has {BUNDLE_ENTRIES} Observations")
    return best[1], best[2]


async def _get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> dict[str, Any]:
    async with session.get(url, headers=headers) as response:
        if response.status != 200:
            raise SystemExit(f"GET {url}: HTTP {response.status}")
        return dict(await response.json(content_type=None))


async def _measure(
    workload: Workload, servers: Servers, token: str, concurrency: int
) -> tuple[Result, Result, Result]:
    auth = {"Authorization": f"Bearer {token}"}
    targets = [
        ("direct to sandbox", servers.direct, {}),
        ("passthrough (no enforcement)", servers.passthrough, {}),
        ("full pipeline", servers.full, auth),
    ]
    for _, base, headers in targets:
        await _check_answer(workload, base + workload.path, headers)
    parts: list[list[Result]] = [[] for _ in targets]
    for _ in range(ROUNDS):
        for (name, base, headers), runs in zip(targets, parts, strict=True):
            runs.append(await drive(name, base + workload.path, headers,
                                    workload.requests // ROUNDS, concurrency))
    direct, passthrough, full = (Result.combined(runs) for runs in parts)
    return direct, passthrough, full


async def _check_answer(workload: Workload, url: str, headers: dict[str, str]) -> None:
    """Every target answers the same thing: the search has all 50 entries, the patient's."""
    async with aiohttp.ClientSession() as session:
        answer = await _get(session, url, headers)
    if workload.name != "search":
        return
    entries = answer.get("entry", [])
    subjects = {entry["resource"]["subject"]["reference"] for entry in entries}
    if len(entries) != BUNDLE_ENTRIES or len(subjects) != 1:
        raise SystemExit(f"{url}: {len(entries)} entries for {subjects}, not {BUNDLE_ENTRIES}")


def _report(workload: Workload, direct: Result, passthrough: Result, full: Result) -> None:
    target = TARGETS[workload.name]
    ratio = full.rps / passthrough.rps
    print(f"\n{workload.name}: GET {workload.path}, {workload.requests} requests")
    for result in (direct, passthrough, full):
        print("  " + result.line())
    print(f"  full / passthrough = {ratio:.2f} (target >= {target:.2f}: "
          f"{'met' if ratio >= target else 'missed'})   full / direct = {full.rps / direct.rps:.2f}"
          f"   passthrough / direct = {passthrough.rps / direct.rps:.2f}")


def _report_postfilter(runs: int) -> None:
    print()
    for shape in postfilter.SHAPES:
        medians = postfilter.run(shape, postfilter.searchset(42, 5.0, shape), runs)
        verdict = "met" if medians["filter"] <= POSTFILTER_TARGET_MS else "missed"
        print(f"  post-filter of 5 MB ({shape}): {medians['filter']:.1f} ms "
              f"(target <= {POSTFILTER_TARGET_MS:.0f} ms: {verdict}); "
              f"with parse and serialisation {medians['total']:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=12000, help="per target, read workload")
    parser.add_argument("--bundle-requests", type=int, default=3000,
                        help="per target, search workload")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--runs", type=int, default=11, help="post-filter runs per shape")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.bundle_requests, args.concurrency, args.runs))
