"""A real browser completes a standalone launch with the npm fhirclient library.

Headless Debian chromium, driven by playwright-core, loads a small test app that uses
fhirclient (client-js); the user logs in on the real login page, picks the patient,
unticks one data type on the real consent screen and allows; the app then reads
through the proxy.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from tests.browser.launch_servers import CLIENT_ID, HERE, running_servers

SCOPE = "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs patient/Condition.rs"
UNTICKED = "patient/Condition.rs"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is required for the browser test"),
]


async def test_fhirclient_standalone_launch_in_chromium(tmp_path: Path) -> None:
    async with running_servers(tmp_path) as servers:
        launch = URL(f"{servers.app_origin}/launch.html").with_query(
            iss=servers.fhir_base, client_id=CLIENT_ID, scope=SCOPE)
        node = await asyncio.create_subprocess_exec(
            "node", str(HERE / "standalone_launch.mjs"), str(launch), "amy", "amy-demo-password",
            "p1", UNTICKED, str(tmp_path), cwd=HERE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(node.communicate(), timeout=120)
    assert node.returncode == 0, err.decode()[-3000:]
    report: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    assert report["patient"] == "p1", report
    granted = report["scope"].split()
    assert UNTICKED not in granted
    assert {"patient/Patient.rs", "patient/Observation.rs", "launch/patient", "openid", "fhirUser"} <= set(granted)
    assert report["patientRead"] == {"ok": True, "resourceType": "Patient", "entries": 0}
    assert report["observations"]["ok"] is True
    assert report["observations"]["resourceType"] == "Bundle"
    assert report["observations"]["entries"] > 0
    assert report["conditions"] == {"ok": False, "status": 403}
    assert (tmp_path / "consent.png").stat().st_size > 10_000
