"""The PyPI fhirclient (client-py) completes a standalone launch through the real pages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from fhirclient import client as fhirclient

from tests.browser.launch_servers import CLIENT_ID, running_servers
from tests.smart_proxy.authorize.authz_browser import Page

pytestmark = pytest.mark.slow
SCOPE = "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs patient/Condition.rs"


def walk_the_pages(authorize_url: str, redirect_uri: str) -> str:
    """What a person does in the browser, with a plain HTTP session: returns the callback URL."""
    session = requests.Session()
    response = session.get(authorize_url, allow_redirects=False)
    for _ in range(20):
        location = response.headers.get("Location")
        if location is not None:
            target = urljoin(response.url, location)
            if target.startswith(redirect_uri):
                return target
            response = session.get(target, allow_redirects=False)
            continue
        page = Page(response.status_code, response.headers, response.text, response.url, [])
        assert response.status_code == 200, page.text[:500]
        if any(f.action.endswith("/auth/login") for f in page.forms):
            form = page.form("/auth/login").fill("username", "amy").fill("password", "amy-demo-password")
        elif any(f.action.endswith("/auth/patient") for f in page.forms):
            form = page.form("/auth/patient").choose("patient", "p2")
        else:
            form = page.form("/auth/consent").uncheck("scope", "patient/Condition.rs")
            button = ("decision", "allow")
            response = session.post(urljoin(response.url, form.action), data=form.pairs(button),
                                    allow_redirects=False)
            continue
        response = session.post(urljoin(response.url, form.action), data=form.pairs(), allow_redirects=False)
    raise AssertionError("the launch did not come back to the app")


def launch(fhir_base: str, redirect_uri: str) -> dict[str, object]:
    smart = fhirclient.FHIRClient(settings={
        "app_id": CLIENT_ID, "api_base": fhir_base, "redirect_uri": redirect_uri, "scope": SCOPE})
    callback = walk_the_pages(smart.authorize_url, redirect_uri)
    smart.handle_callback(callback)
    patient = smart.server.request_json(f"Patient/{smart.patient_id}")
    refused = requests.get(f"{fhir_base}/Condition?patient={smart.patient_id}",
                           headers={"Authorization": f"Bearer {smart.server.auth.access_token}"})
    return {"ready": smart.ready, "patient_id": smart.patient_id, "patient": patient,
            "condition_status": refused.status_code}


async def test_client_py_standalone_launch(tmp_path: Path) -> None:
    async with running_servers(tmp_path) as servers:
        result = await asyncio.to_thread(launch, servers.fhir_base, f"{servers.app_origin}/callback.html")
    assert result["ready"] is True
    assert result["patient_id"] == "p2"
    assert result["patient"]["resourceType"] == "Patient" and result["patient"]["id"] == "p2"
    assert result["condition_status"] == 403
