"""Schemathesis explores the OAuth endpoints from their OpenAPI description: no 5xx, ever."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import free_port, start, stop, wait_until_up

pytestmark = pytest.mark.slow


async def test_no_request_to_the_oauth_endpoints_ends_in_a_server_error(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    demo = start(["demo", "--port", str(port), "--sandbox-port", str(free_port())], log)
    try:
        await wait_until_up(f"http://127.0.0.1:{port}/readyz", demo, log)
        st = Path(sys.executable).with_name("st")
        result = subprocess.run(
            [str(st), "run", f"http://127.0.0.1:{port}/auth/openapi.json",
             "--checks", "not_a_server_error", "--max-examples", "60", "--seed", "7",
             "--request-timeout", "10", "--no-color"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )
        report = result.stdout[-2500:] + result.stderr[-1000:]
        assert result.returncode == 0, report
        counts = re.search(r"(\d+) generated, (\d+) passed\s*$", result.stdout, re.MULTILINE)
        assert counts is not None, report
        generated, passed = int(counts.group(1)), int(counts.group(2))
        assert generated == passed and generated >= 50, report
    finally:
        stop(demo)
    # aiohttp itself logs (and answers 400 to) the fuzzer's malformed-HTTP probes; what must
    # never appear is an error inside the proxy's own handlers.
    assert "unhandled error" not in log.read_text(), log.read_text()[-4000:]
