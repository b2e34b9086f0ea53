"""EHR launch: ``POST /auth/ehr-launch`` and ``launch`` at authorize (checklist §11)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app_registry import Registry, load_registry_text
from smart_proxy.auth.records import LAUNCH_NS
from smart_proxy.consent import ConsentStore
from smart_proxy.grants import token_digest
from smart_proxy.state import StateStore

from .authz_browser import Browser
from .authz_flow import allow, code_of, code_record, redirect_params, sign_in
from .conftest import (
    BACKENDS,
    CLINICIAN_APP,
    CLINICIAN_REDIRECT,
    DEMO_APPS,
    EHR_SECRET,
    FHIR_BASE,
    VERIFIER,
    FakeClock,
    ProxyFactory,
    authorize_url,
)

EXTRA_APPS = """
  - client_id: other-ehr-app
    name: Other EHR App
    publisher: {name: Other Co, url: https://other.example/}
    privacy_policy_uri: https://other.example/privacy
    contacts: [dev@other.example]
    client_type: public
    audience: clinician
    launch_types: [ehr]
    launch_uri: http://127.0.0.1:9996/launch
    redirect_uris: [http://127.0.0.1:9996/callback]
    scopes: [launch, openid, fhirUser, user/Patient.rs]
    lifecycle:
      - {status: approved, date: 2026-01-01, by: admin@ehr.example}
  - client_id: portal-app
    name: Portal Companion
    publisher: {name: Portal Co, url: https://portal.example/}
    privacy_policy_uri: https://portal.example/privacy
    contacts: [dev@portal.example]
    client_type: public
    audience: patient
    launch_types: [ehr]
    launch_uri: http://127.0.0.1:9995/launch
    redirect_uris: [http://127.0.0.1:9995/callback]
    scopes: [launch, openid, fhirUser, patient/Patient.rs, patient/Observation.rs]
    lifecycle:
      - {status: approved, date: 2026-01-01, by: admin@ehr.example}
"""
CLINICIAN_SCOPES = "launch openid fhirUser user/Patient.rs user/Observation.rs"
PORTAL_REDIRECT = "http://127.0.0.1:9995/callback"


def registry() -> Registry:
    return load_registry_text(DEMO_APPS.read_text() + EXTRA_APPS)


def bearer(secret: str = EHR_SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def new_launch(
    browser: Browser, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    return await browser.client.post("/auth/ehr-launch", json=body, headers=headers or bearer())


async def launch_id(browser: Browser, **body: Any) -> str:
    response = await new_launch(browser, {"patient": "p1", **body})
    assert response.status == 201, await response.text()
    return str((await response.json())["launch"])


def clinician_authorize(launch: str, **changes: Any) -> str:
    return authorize_url(
        client_id=CLINICIAN_APP,
        redirect_uri=CLINICIAN_REDIRECT,
        scope=CLINICIAN_SCOPES,
        launch=launch,
        **changes,
    )


@pytest.fixture
async def ehr(make_proxy: ProxyFactory) -> Browser:
    return await make_proxy(registry())


async def test_not_configured_is_404(make_proxy: ProxyFactory) -> None:
    browser = await make_proxy(ehr_launch=None)
    response = await new_launch(browser, {"patient": "p1"})
    assert response.status == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("wrong"),
        {"Authorization": "Basic " + base64.b64encode(b"ehr:wrong").decode()},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(EHR_SECRET.encode()).decode()},  # no colon
        {"Authorization": f"Token {EHR_SECRET}"},
    ],
    ids=["none", "wrong-bearer", "wrong-basic", "bad-basic", "basic-no-colon", "other-scheme"],
)
async def test_the_ehr_must_authenticate(ehr: Browser, headers: dict[str, str]) -> None:
    response = await ehr.client.post("/auth/ehr-launch", json={"patient": "p1"}, headers=headers)
    assert response.status == 401
    assert "Basic" in response.headers["WWW-Authenticate"]
    assert (await response.json())["error"] == "invalid_client"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_a_launch_is_created_for_the_app(ehr: Browser, auth_store: StateStore) -> None:
    basic = {"Authorization": "Basic " + base64.b64encode(f"ehr:{EHR_SECRET}".encode()).decode()}
    response = await new_launch(
        ehr, {"patient": "p1", "encounter": "e1", "client_id": CLINICIAN_APP}, basic
    )
    assert response.status == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    launch = body["launch"]
    assert len(base64.urlsafe_b64decode(launch + "=")) == 32  # 256 random bits
    assert body["expires_in"] == 300
    url = urlsplit(body["launch_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "http://127.0.0.1:9998/launch"
    assert parse_qs(url.query) == {"iss": [FHIR_BASE], "launch": [launch]}
    assert await auth_store.get(LAUNCH_NS, launch) is None  # stored only as a hash
    assert (await auth_store.get(LAUNCH_NS, token_digest(launch)))["patient"] == "p1"
    without_app = await (await new_launch(ehr, {"patient": "p1"})).json()
    assert without_app["launch_url"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"patient": "p 1"},
        {"patient": 7},
        {"patient": "p1", "surprise": True},
        {"patient": "p1", "encounter": "e/1"},
        {"patient": "p1", "fhir_user": "Organization/o1"},
        {"patient": "p1", "client_id": "no-such-app"},
        {"patient": "p1", "client_id": "demo-patient-app"},  # not registered for EHR launch
        {"patient": "p1", "client_id": "demo-suspended-app"},
        {"patient": "p1", "need_patient_banner": "yes"},
        {"patient": "p1", "intent": ""},
        ["p1"],
    ],
)
async def test_a_bad_body_is_invalid_request(ehr: Browser, body: Any) -> None:
    response = await new_launch(ehr, body)
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_request"


async def test_a_body_that_is_not_json(ehr: Browser) -> None:
    response = await ehr.client.post("/auth/ehr-launch", data=b"patient=p1", headers=bearer())
    assert response.status == 400


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_a_clinician_ehr_launch_end_to_end(ehr: Browser, auth_store: StateStore) -> None:
    launch = await launch_id(
        ehr,
        encounter="e1",
        fhir_user="Practitioner/prac-1",
        client_id=CLINICIAN_APP,
        need_patient_banner=True,
        intent="reconcile-medications",
    )
    done = await ehr.get(clinician_authorize(launch, state="ehr-1"))  # the EHR vouches: no login
    assert redirect_params(done)["state"] == ["ehr-1"]
    code = code_of(done)
    record = await code_record(auth_store, code)
    assert record.scopes == tuple(CLINICIAN_SCOPES.split())
    assert (record.patient, record.encounter, record.fhir_user) == (
        "p1",
        "e1",
        "Practitioner/prac-1",
    )
    assert (record.need_patient_banner, record.username, record.consent_id) == (True, None, None)
    secret = base64.b64encode(f"{CLINICIAN_APP}:demo-clinician-secret".encode()).decode()
    answer = await ehr.client.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CLINICIAN_REDIRECT,
            "code_verifier": VERIFIER,
        },
        headers={"Authorization": f"Basic {secret}"},
    )
    assert answer.status == 200, await answer.text()
    body = await answer.json()
    assert body["scope"] == CLINICIAN_SCOPES
    assert (body["patient"], body["encounter"], body["need_patient_banner"]) == ("p1", "e1", True)

    again = await ehr.get(clinician_authorize(launch, state="ehr-2"))  # single use
    params = redirect_params(again)
    assert (params["error"], params["state"]) == (["invalid_request"], ["ehr-2"])


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_an_expired_launch_is_refused(ehr: Browser, clock: FakeClock) -> None:
    launch = await launch_id(ehr, fhir_user="Practitioner/prac-1")
    clock.advance(300)
    params = redirect_params(await ehr.get(clinician_authorize(launch)))
    assert params["error"] == ["invalid_request"]
    # Redis keeps its own time (the record is there, our clock says expired); the memory
    # store follows the test clock and has already dropped it.
    assert params["error_description"][0] in (
        "the launch has expired",
        "unknown or already used launch",
    )


async def test_a_launch_for_another_app_is_refused(ehr: Browser) -> None:
    launch = await launch_id(ehr, fhir_user="Practitioner/prac-1", client_id=CLINICIAN_APP)
    other = authorize_url(
        client_id="other-ehr-app",
        redirect_uri="http://127.0.0.1:9996/callback",
        scope="launch openid user/Patient.rs",
        launch=launch,
        state="o",
    )
    params = redirect_params(await ehr.get(other))
    assert (params["error"], params["state"]) == (["invalid_request"], ["o"])
    assert "another app" in params["error_description"][0]
    code_of(await ehr.get(clinician_authorize(launch)))  # still usable by the right app


async def test_a_launch_without_a_user_asks_for_login(ehr: Browser, auth_store: StateStore) -> None:
    launch = await launch_id(ehr, patient="p4", client_id=CLINICIAN_APP)
    page = await ehr.get(clinician_authorize(launch))
    assert urlsplit(page.url).path == "/auth/login"
    record = await code_record(auth_store, code_of(await sign_in(ehr, page, "linh")))
    assert (record.patient, record.username, record.fhir_user) == (
        "p4",
        "linh",
        "Practitioner/prac-1",
    )


async def test_a_portal_launch_vouched_patient_sees_the_consent_screen(
    ehr: Browser, auth_store: StateStore
) -> None:
    launch = await launch_id(ehr, fhir_user="Patient/p1", client_id="portal-app")
    url = authorize_url(
        client_id="portal-app",
        redirect_uri=PORTAL_REDIRECT,
        scope="launch openid patient/Observation.rs",
        launch=launch,
    )
    page = await ehr.get(url)
    assert urlsplit(page.url).path == "/auth/consent"
    record = await code_record(auth_store, code_of(await allow(ehr, page)))
    assert (record.patient, record.username, record.need_patient_banner) == ("p1", None, True)
    consent = await ConsentStore(auth_store).get(str(record.consent_id))
    assert consent is not None and consent.username == "Patient/p1"


async def test_a_signed_in_patient_cannot_take_someone_elses_ehr_context(ehr: Browser) -> None:
    launch = await launch_id(ehr, patient="p3", client_id="portal-app")
    url = authorize_url(
        client_id="portal-app",
        redirect_uri=PORTAL_REDIRECT,
        scope="launch openid patient/Observation.rs",
        launch=launch,
    )
    refused = await sign_in(ehr, await ehr.get(url), "amy")
    assert refused.status == 403
    assert "may not share the records of the patient open in the EHR" in refused.text


async def test_an_ehr_launch_without_the_launch_scope_is_refused(ehr: Browser) -> None:
    launch = await launch_id(ehr, fhir_user="Practitioner/prac-1", client_id=CLINICIAN_APP)
    url = authorize_url(client_id=CLINICIAN_APP, redirect_uri=CLINICIAN_REDIRECT,
                        scope="openid fhirUser user/Patient.rs", launch=launch, state="no-launch")
    params = redirect_params(await ehr.get(url))
    assert (params["error"], params["state"]) == (["invalid_scope"], ["no-launch"])
    assert params["error_description"] == ["an EHR launch must request the launch scope"]
