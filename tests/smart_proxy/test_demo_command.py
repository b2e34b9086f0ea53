"""``smart-proxy demo`` starts sandbox and proxy together and hands out a working token."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import aiohttp
import pytest

from tests.processes import free_port, start, stop, wait_until_up

pytestmark = pytest.mark.slow


async def test_demo_serves_the_sandbox_through_the_proxy(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    demo = start(["demo", "--port", str(port), "--sandbox-port", str(free_port())], log)
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


async def test_a_person_walks_through_login_consent_and_token(tmp_path: Path) -> None:
    from urllib.parse import urljoin

    from tests.smart_proxy.authorize.authz_browser import Page

    port = free_port()
    log = tmp_path / "demo.log"
    demo = start(["demo", "--port", str(port), "--sandbox-port", str(free_port())], log)
    try:
        await wait_until_up(f"http://127.0.0.1:{port}/readyz", demo, log)
        await wait_until_up("http://127.0.0.1:9999/", demo, log)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            url = "http://127.0.0.1:9999/launch"
            method, data = "GET", None
            for _ in range(15):
                async with session.request(method, url, data=data, allow_redirects=False) as r:
                    body = await r.text()
                    if "Location" in r.headers:
                        url, method, data = urljoin(str(r.url), r.headers["Location"]), "GET", None
                        continue
                    page = Page(r.status, r.headers, body, str(r.url), [])
                if page.text.startswith("Connected") or "Token response" in page.text:
                    break
                actions = {f.action.rsplit("/", 1)[-1] for f in page.forms}
                if "login" in actions:
                    form = page.form("/auth/login").fill("username", "amy").fill("password", "amy-demo-password")
                    pairs = form.pairs()
                elif "patient" in actions:
                    form = page.form("/auth/patient").choose("patient", "p1")
                    pairs = form.pairs()
                else:
                    form = page.form("/auth/consent")
                    pairs = form.pairs(("decision", "allow"))
                url, method, data = urljoin(page.url, form.action), "POST", pairs
        assert "Token response" in page.text, page.text[:500]
        text = html.unescape(body)
        assert '"patient": "p1"' in text
        assert '"token_type": "Bearer"' in text
        assert '"status": 200' in text and '"resourceType": "Patient"' in text
    finally:
        stop(demo)
