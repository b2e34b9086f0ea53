"""The upstream FHIR servers of the end-to-end suite, and a record of what reached them.

Two servers stand behind the proxy:

* the project's own sandbox (``smart_proxy.sandbox``), in-process, a fresh one per test;
* ``sekmet-fhir`` (FastAPI + SQLite), a server nobody here wrote: one child process per
  session, bound to 127.0.0.1 with its workflow simulator off and its FHIR endpoint
  protected by the proxy's own upstream credential, loaded once with a seeded
  ``carebundle`` cohort (synthetic US Core charts) posted as transaction Bundles.

The proxy reaches sekmet through :class:`RecordingRelay`, a verbatim HTTP relay on its own
thread and event loop, and the sandbox records in a middleware, so a test can assert
exactly which requests, with which headers, the upstream received (``Seen``).  sekmet is
told that its base URL is the relay's, so every URL it writes (``fullUrl``, paging links,
``Location``) names the base the proxy calls, as a real deployment's would.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

# Requests the ground-truth client sends straight to an upstream carry this header;
# the recorders leave them out, so ``seen`` holds only what the proxy sent.
GROUND_TRUTH = "X-E2e-Ground-Truth"
COHORT_SEED = 20260101
COHORT_SIZE = 4
# Every patient is drawn from a profile with problems, so each chart has Conditions,
# lab and vital-sign Observations, DiagnosticReports, an Encounter and a Practitioner.
COHORT_PREVALENCE = {"hypertension": 1.0, "type2_diabetes": 1.0, "ckd_stage3": 1.0}
COHORT_PANELS = ("hba1c", "lipid")
# Hop-by-hop headers (RFC 9110 §7.6.1) and those the relay's own HTTP stack sets.
_NOT_RELAYED = frozenset({
    "host", "connection", "keep-alive", "transfer-encoding", "content-length", "te",
    "trailer", "upgrade", "accept-encoding", "content-encoding", "date", "server",
})


@dataclass(frozen=True)
class Seen:
    """One request as the upstream received it (raw path and query, all headers)."""

    method: str
    target: str
    headers: CIMultiDictProxy[str]
    body: bytes


def recorder(seen: list[Seen]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """An aiohttp middleware appending every non-ground-truth request to ``seen``."""

    @web.middleware
    async def record(request: web.Request, handler: Callable[..., Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
        if GROUND_TRUTH not in request.headers:
            body = await request.read()
            seen.append(Seen(request.method, request.raw_path,
                             CIMultiDictProxy(CIMultiDict(request.headers)), body))
        return await handler(request)

    return record


class RecordingRelay:
    """A verbatim HTTP relay to ``target`` (set later) on its own thread and event loop."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.target: str | None = None
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve(ready))
            except OSError as exc:  # e.g. no port to bind: surfaced to the starting thread
                failure.append(exc)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="e2e-relay", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            raise RuntimeError(f"the recording relay did not start: {failure}")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    async def _serve(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._relay)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(runner.addresses[0][1])
        self._session = aiohttp.ClientSession(auto_decompress=False,
                                              cookie_jar=aiohttp.DummyCookieJar())
        ready.set()
        try:
            await self._stop.wait()
        finally:
            await self._session.close()
            await runner.cleanup()

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(Seen(request.method, request.raw_path,
                              CIMultiDictProxy(CIMultiDict(request.headers)), body))
        if self.target is None or self._session is None:
            return web.Response(status=503, text="relay has no target")
        origin = URL(self.target).origin()
        url = URL(str(origin) + request.raw_path, encoded=True)
        headers = CIMultiDict(
            (k, v) for k, v in request.headers.items() if k.lower() not in _NOT_RELAYED)
        async with self._session.request(request.method, url, headers=headers, data=body or None,
                                         allow_redirects=False) as answer:
            payload = await answer.read()
            out = CIMultiDict(
                (k, v) for k, v in answer.headers.items() if k.lower() not in _NOT_RELAYED)
            return web.Response(status=answer.status, body=payload, headers=out)


@dataclass
class Sekmet:
    """A running sekmet-fhir: ``direct`` is its own base, ``relay`` the proxy's way in."""

    process: subprocess.Popen[bytes]
    direct: str
    relay: RecordingRelay
    log: Path
    credential: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.relay.stop()


def sekmet_command() -> list[str]:
    """``sekmet serve``: the console script installed beside this interpreter."""
    script = Path(sys.executable).with_name("sekmet")
    if not script.exists():
        raise RuntimeError("sekmet-fhir is not installed: install the project's test extra")
    return [str(script), "serve"]


def write_settings(folder: Path, port: int, base_url: str, credential: str) -> Path:
    settings = {
        "base_url": base_url,
        "host": "127.0.0.1",
        "port": port,
        "data_dir": str(folder / "data"),
        "db_path": str(folder / "sekmet.db"),
        "own_private_key_path": str(folder / "keys" / "sekmet.pem"),
        "simulator": {"enabled": False},
        "log_inbound": False,
        "validation": {"inbound": "strict"},
        "server_auth": {"types": ["bearer"], "tokens": [credential]},
    }
    path = folder / "settings.yaml"
    path.write_text(json.dumps(settings, indent=2))  # JSON is YAML
    return path


def start_sekmet(folder: Path, port: int, credential: str) -> Sekmet:
    relay = RecordingRelay()
    relay.start()
    settings = write_settings(folder, port, relay.base, credential)
    log = folder / "sekmet.log"
    env = {**os.environ, "SEKMET_CONFIG": str(settings), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen([*sekmet_command(), "--config", str(settings)], cwd=folder,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Sekmet(process, f"http://127.0.0.1:{port}/fhir", relay, log, credential)
    try:
        _wait_until_up(server)
    except BaseException:
        server.stop()
        raise
    relay.target = server.direct
    return server


def _wait_until_up(server: Sekmet, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"sekmet exited early:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(server.direct + "/metadata", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"sekmet did not come up:\n{server.log.read_text()}")


def cohort_bundles() -> list[bytes]:
    """The seeded carebundle cohort: one transaction Bundle per patient, same bytes every run."""
    from carebundle import generate_cohort, to_json

    cohort = generate_cohort(count=COHORT_SIZE, seed=COHORT_SEED, prevalence=COHORT_PREVALENCE,
                             panels=COHORT_PANELS)
    return [to_json(bundle, indent=0).encode() for bundle in cohort]


def load_cohort(server: Sekmet) -> None:
    for bundle in cohort_bundles():
        request = urllib.request.Request(
            server.direct, data=bundle, method="POST",
            headers={"Content-Type": "application/fhir+json",
                     "Authorization": f"Bearer {server.credential}"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            reply = json.load(answer)
        statuses = {entry["response"]["status"] for entry in reply["entry"]}
        if answer.status != 200 or statuses != {"201 Created"}:
            raise RuntimeError(f"sekmet refused the cohort: {answer.status} {statuses}")
