"""Run the real ``smart-proxy`` command in child processes for end-to-end checks."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from smart_proxy.auth.signing import write_new_key

DEMO_APPS = Path(__file__).resolve().parent.parent / "smart_proxy" / "demo" / "apps.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "smart_proxy", *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )


async def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, attempts: int = 150) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(attempts):
            if process.poll() is not None:
                raise RuntimeError(f"process exited early:\n{log.read_text()}")
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def proxy_config(tmp: Path, proxy_port: int, upstream_port: int, state: str) -> Path:
    key = tmp / "id-token.pem"
    if not key.exists():
        write_new_key(key)
    path = tmp / "proxy.yaml"
    path.write_text(
        f"public_url: http://127.0.0.1:{proxy_port}\n"
        f"listen: {{host: 127.0.0.1, port: {proxy_port}}}\n"
        f"upstream: {{url: 'http://127.0.0.1:{upstream_port}/fhir', timeout_s: 60}}\n"
        f"apps: '{DEMO_APPS}'\n"
        f"state: '{state}'\n"
        "signing_key: id-token.pem\n"
    )
    return path
