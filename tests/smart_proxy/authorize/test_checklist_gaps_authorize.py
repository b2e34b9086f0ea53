"""Browser-side MUST items of smart-conformance.md §3-12 that no other test pinned exactly.

Whole launches through the real pages, then the token endpoint, then FHIR reads
through the proxy to a small upstream that answers ``{Type}/{id}`` with that
resource -- so "the patient/encounter/fhirUser is readable with the token" is
checked the way Inferno checks it, not assumed.  Each test names its item(s).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from yarl import URL

from app_registry import Registry, load_registry, load_registry_text
from smart_proxy.config import UpstreamConfig
from smart_proxy.keys import SIGNING_KEY
from smart_proxy.state import StateStore

from .authz_browser import PUBLIC, Browser, Page
from .authz_flow import allow, code_of, code_record, pick, redirect_params, sign_in
from .conftest import (
    CLINICIAN_APP,
    DEMO_APPS,
    EHR_SECRET,
    FHIR_BASE,
    PATIENT_APP,
    PATIENT_REDIRECT,
    VERIFIER,
    ProxyFactory,
    authorize_url,
)

# Item 35 (US Core 7 patient-facing list, with Location) plus item 51's non-compartment types.
US_CORE_TYPES = (
    "Patient", "AllergyIntolerance", "CarePlan", "CareTeam", "Condition", "Coverage", "Device",
    "DiagnosticReport", "DocumentReference", "Encounter", "Goal", "Immunization", "Location",
    "Medication", "MedicationDispense", "MedicationRequest", "Observation", "Organization",
    "Practitioner", "PractitionerRole", "Procedure", "Provenance", "QuestionnaireResponse",
    "RelatedPerson", "ServiceRequest", "Specimen",
)
IDENTITY = ("launch/patient", "openid", "fhirUser", "offline_access")
FULL_REDIRECT = "http://127.0.0.1:9994/callback"
EHR_APP, EHR_REDIRECT = "ehr-full-app", "http://127.0.0.1:9993/callback"
CLINICIAN_SECRET = "demo-clinician-secret"  # the demo clinician app's secret (apps.yaml)
OBS = "http://terminology.hl7.org/CodeSystem/observation-category"
COND = "http://terminology.hl7.org/CodeSystem/condition-category"
US_CORE_OBS = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
US_CORE_COND = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
# Item 36: Condition -> 3 kinds, Observation -> 6 kinds (Clinical Test = "procedure").
GRANULAR_OFFERED = {
    f"patient/Condition.rs?category={COND}|encounter-diagnosis",
    f"patient/Condition.rs?category={COND}|problem-list-item",
    f"patient/Condition.rs?category={US_CORE_COND}|health-concern",
    f"patient/Observation.rs?category={OBS}|procedure",
    f"patient/Observation.rs?category={OBS}|laboratory",
    f"patient/Observation.rs?category={OBS}|social-history",
    f"patient/Observation.rs?category={US_CORE_OBS}|sdoh",
    f"patient/Observation.rs?category={OBS}|survey",
    f"patient/Observation.rs?category={OBS}|vital-signs",
}


def _extra_apps(clinician_hash: str) -> str:
    patient_scopes = ", ".join([*IDENTITY, *(f"patient/{t}.rs" for t in US_CORE_TYPES)])
    user_scopes = ", ".join(f"user/{t}.rs" for t in US_CORE_TYPES)
    return f"""
  - client_id: full-patient-app
    name: Full Access Patient App
    publisher: {{name: Example Co, url: https://app.example/}}
    privacy_policy_uri: https://app.example/privacy
    contacts: [dev@app.example]
    client_type: public
    audience: patient
    launch_types: [standalone]
    redirect_uris: [{FULL_REDIRECT}]
    scopes: [{patient_scopes}]
    lifecycle:
      - {{status: approved, date: 2026-01-01, by: admin@ehr.example}}
  - client_id: {EHR_APP}
    name: EHR Practitioner App
    publisher: {{name: Example Co, url: https://app.example/}}
    privacy_policy_uri: https://app.example/privacy
    contacts: [dev@app.example]
    client_type: confidential-symmetric
    client_secret_hash: "{clinician_hash}"
    audience: clinician
    launch_types: [ehr]
    launch_uri: http://127.0.0.1:9993/launch
    redirect_uris: [{EHR_REDIRECT}]
    scopes: [launch, openid, fhirUser, offline_access, patient/Patient.rs, {user_scopes}]
    lifecycle:
      - {{status: approved, date: 2026-01-01, by: admin@ehr.example}}
"""


def registry() -> Registry:
    clinician_hash = load_registry(DEMO_APPS)[CLINICIAN_APP].client_secret_hash
    assert clinician_hash is not None
    return load_registry_text(DEMO_APPS.read_text() + _extra_apps(clinician_hash))


async def _upstream(request: web.Request) -> web.Response:
    parts = request.path.strip("/").split("/")  # fhir, Type, id
    if len(parts) != 3:
        return web.json_response({"resourceType": "Bundle", "type": "searchset", "entry": []},
                                 content_type="application/fhir+json")
    body: dict[str, Any] = {"resourceType": parts[1], "id": parts[2]}
    if parts[1] == "Encounter":
        body["subject"] = {"reference": "Patient/p1"}
    elif parts[1] == "RelatedPerson":
        body["patient"] = {"reference": "Patient/p2"}
    return web.json_response(body, content_type="application/fhir+json")


@pytest.fixture
async def proxy(make_proxy: ProxyFactory, aiohttp_server: Any) -> Browser:
    upstream = web.Application()
    upstream.router.add_get("/{tail:.*}", _upstream)
    server = await aiohttp_server(upstream)
    return await make_proxy(
        registry(), upstream=UpstreamConfig(url=URL(str(server.make_url("/fhir"))))
    )


async def exchange(
    browser: Browser, code: str, redirect_uri: str, client_id: str | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": VERIFIER}
    headers = {}
    if secret is not None:
        raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        headers["Authorization"] = f"Basic {raw}"
    elif client_id is not None:
        form["client_id"] = client_id
    response = await browser.client.post("/auth/token", data=form, headers=headers)
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    return dict(await response.json())


async def read(browser: Browser, path: str, token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = await browser.client.get(path, headers=headers)
    return response.status, json.loads(await response.read())


async def consent_for(browser: Browser, url: str, patient: str = "p1") -> Page:
    return await pick(browser, await sign_in(browser, await browser.get(url), "amy"), patient)


def full_app_url(scope: str, **changes: Any) -> str:
    return authorize_url(client_id="full-patient-app", redirect_uri=FULL_REDIRECT, scope=scope,
                         **changes)


async def ehr_launch(browser: Browser, **body: Any) -> str:
    response = await browser.client.post(
        "/auth/ehr-launch", json={"patient": "p1", "client_id": EHR_APP, **body},
        headers={"Authorization": f"Bearer {EHR_SECRET}"},
    )
    assert response.status == 201, await response.text()
    return str((await response.json())["launch"])


def ehr_url(launch: str, scope: str, **changes: Any) -> str:
    return authorize_url(client_id=EHR_APP, redirect_uri=EHR_REDIRECT, scope=scope,
                         launch=launch, **changes)


def second_to_last_segment(url: str) -> str:
    return URL(url).path.rstrip("/").split("/")[-2]


# --- item 23/29/104/109: the OIDC code flow with SMART parameters ------------------------


async def test_item_23_29_104_109_nonce_and_optional_oidc_parameters_through_a_launch(
    proxy: Browser, auth_store: StateStore
) -> None:
    url = authorize_url(nonce="n-0123456789") + "&" + urlencode({
        "prompt": "login", "max_age": "300", "acr_values": "urn:x", "id_token_hint": "x.y.z",
        "claims": '{"id_token": {"fhirUser": null}}', "resource": FHIR_BASE,
    })
    code = code_of(await allow(proxy, await consent_for(proxy, url)))
    record = await code_record(auth_store, code)
    assert (record.aud, record.nonce, record.redirect_uri) == (
        FHIR_BASE, "n-0123456789", PATIENT_REDIRECT
    )
    body = await exchange(proxy, code, PATIENT_REDIRECT, PATIENT_APP)
    claims = proxy.client.app[SIGNING_KEY].verify(body["id_token"])
    assert claims["nonce"] == "n-0123456789"
    assert (claims["iss"], claims["aud"]) == (PUBLIC, PATIENT_APP)
    assert claims["fhirUser"] == f"{FHIR_BASE}/Patient/p1"
    assert second_to_last_segment(claims["fhirUser"]) == "Patient"
    status, me = await read(proxy, "/fhir/Patient/p1", body["access_token"])  # item 107
    assert (status, me["resourceType"], me["id"]) == (200, "Patient", "p1")


@pytest.mark.parametrize(
    ("user", "patient", "fhir_user"),
    [
        pytest.param("amy", "p2", "Patient/p1", id="parent-for-child"),
        pytest.param("amy-proxy", None, "RelatedPerson/rp-p2-1", id="related-person"),
    ],
)
async def test_item_107_the_fhir_user_is_readable_with_the_issued_token(
    proxy: Browser, user: str, patient: str | None, fhir_user: str
) -> None:
    """Inferno reads the fhirUser resource with the access token (also checklist item 131),
    including when the user acts for someone else's record."""
    scope = " ".join([*IDENTITY, *(f"patient/{t}.rs" for t in US_CORE_TYPES)])
    page = await sign_in(proxy, await proxy.get(full_app_url(scope)), user)
    if patient is not None:
        page = await pick(proxy, page, patient)
    body = await exchange(proxy, code_of(await allow(proxy, page)), FULL_REDIRECT,
                          "full-patient-app")
    assert body["patient"] == "p2"
    claims = proxy.client.app[SIGNING_KEY].verify(body["id_token"])
    assert claims["fhirUser"] == f"{FHIR_BASE}/{fhir_user}"
    kind, _ = fhir_user.split("/")
    assert second_to_last_segment(claims["fhirUser"]) == kind
    status, resource = await read(proxy, f"/fhir/{fhir_user}", body["access_token"])
    assert (status, resource["resourceType"], resource["id"]) == (200, *fhir_user.split("/"))


# --- item 31: a patient/ scope establishes a patient context even without launch/patient --


async def test_item_31_patient_scopes_alone_still_establish_a_patient(
    proxy: Browser, auth_store: StateStore
) -> None:
    page = await sign_in(proxy, await proxy.get(authorize_url(scope="openid patient/Patient.rs")),
                         "amy")
    assert page.form("/auth/patient").options("patient") == ["p1", "p2"]  # must choose one
    code = code_of(await allow(proxy, await pick(proxy, page, "p2")))
    assert (await code_record(auth_store, code)).patient == "p2"
    body = await exchange(proxy, code, PATIENT_REDIRECT, PATIENT_APP)
    assert body["patient"] == "p2"
    assert body["scope"] == "openid patient/Patient.rs"


# --- items 35, 40, 50: every US Core type is its own choice; the grant is exactly the choice --


async def test_item_35_40_each_us_core_type_is_offered_and_only_the_chosen_are_granted(
    proxy: Browser,
) -> None:
    requested = [f"patient/{t}.rs" for t in US_CORE_TYPES]
    page = await consent_for(proxy, full_app_url(" ".join([*IDENTITY, *requested])))
    form = page.form("/auth/consent")
    assert form.options("scope") == requested  # one checkbox per type
    assert form.checked("scope") == requested
    for scope in requested:
        assert page.label_of(form, "scope", scope)  # each has a plain-language label
    kept = {"patient/Patient.rs", "patient/Condition.rs", "patient/Observation.rs"}
    for scope in requested:
        if scope not in kept:
            form.uncheck("scope", scope)
    code = code_of(await proxy.submit(form, ("decision", "allow")))
    body = await exchange(proxy, code, FULL_REDIRECT, "full-patient-app")
    granted = body["scope"].split(" ")
    assert set(granted) == {*IDENTITY, *kept}  # all other types NOT granted
    assert len(granted) == len(set(granted))


async def test_item_50_51_full_access_grants_every_type_as_v2_patient_scopes(
    proxy: Browser,
) -> None:
    requested = [f"patient/{t}.rs" for t in US_CORE_TYPES]
    page = await consent_for(proxy, full_app_url(" ".join([*IDENTITY, *requested])))
    body = await exchange(proxy, code_of(await allow(proxy, page)), FULL_REDIRECT,
                          "full-patient-app")
    granted = body["scope"].split(" ")
    assert granted == [*IDENTITY, *requested]  # literal, in request order
    received = {}
    for scope in granted:  # Inferno's v2 received-scope check: /\A(\*|c?ru?d?s?)\b/ with an r
        if (match := re.fullmatch(r"patient/(\w+)\.(c?ru?d?s?)", scope)) is not None:
            received[match.group(1)] = match.group(2)
    assert set(received) == set(US_CORE_TYPES)
    assert all("r" in perms and "s" in perms for perms in received.values())


# --- item 36: granular alternatives for Condition and Observation -----------------------------


async def test_item_36_granular_choices_are_offered_and_replace_the_resource_scopes(
    proxy: Browser,
) -> None:
    request = ("launch/patient openid fhirUser offline_access patient/Condition.rs "
               "patient/Observation.rs patient/Patient.rs")  # Inferno's exact request
    page = await consent_for(proxy, authorize_url(scope=request))
    form = page.form("/auth/consent")
    assert set(form.options("category")) == GRANULAR_OFFERED
    assert "clinical test" in page.label_of(
        form, "category", f"patient/Observation.rs?category={OBS}|procedure"
    ).lower()
    chosen = [
        f"patient/Condition.rs?category={COND}|encounter-diagnosis",
        f"patient/Condition.rs?category={US_CORE_COND}|health-concern",
        f"patient/Observation.rs?category={OBS}|laboratory",
        f"patient/Observation.rs?category={OBS}|social-history",
    ]
    for scope in chosen:
        form.check("category", scope)
    code = code_of(await proxy.submit(form, ("decision", "allow")))
    body = await exchange(proxy, code, PATIENT_REDIRECT, PATIENT_APP)
    granted = body["scope"].split(" ")
    assert set(granted) == {*IDENTITY, "patient/Patient.rs", *chosen}
    # Inferno g10 9.15 regexes, on the raw (never re-encoded) strings:
    for kind in ("Condition", "Observation"):
        assert not any(re.search(rf"{kind}\.(\*|read|c?ru?d?s?)\Z", s) for s in granted)
        assert any(re.search(rf"{kind}\.(\*|c?ru?d?s?)\?.+=.+", s) for s in granted)
    assert any(re.search(r"Patient\.(\*|c?ru?d?s?)\Z", s) for s in granted)
    assert not any("*" in s or "%7C" in s or "%3A" in s for s in granted)


# --- §11 EHR launch: the practitioner launch Inferno runs (items 49-52, 58-60, 63, 100, 101, 107)


async def test_item_101_ehr_practitioner_launch_returns_everything_inferno_checks(
    proxy: Browser,
) -> None:
    launch = await ehr_launch(proxy, encounter="e1", fhir_user="Practitioner/prac-1")
    requested = ["launch", "openid", "fhirUser", "offline_access",
                 *(f"user/{t}.rs" for t in US_CORE_TYPES)]
    beyond_ceiling = ["user/Appointment.rs", "system/Patient.rs"]  # item 100: never granted
    done = await proxy.get(ehr_url(launch, " ".join([*requested, *beyond_ceiling]),
                                   state="ehr-state"))
    assert redirect_params(done)["state"] == ["ehr-state"]  # no login, no consent page
    body = await exchange(proxy, code_of(done), EHR_REDIRECT, EHR_APP, CLINICIAN_SECRET)

    assert body["scope"].split(" ") == requested  # items 49, 51: literal; every one user/
    assert body["token_type"] == "Bearer" and type(body["expires_in"]) is int
    assert (body["patient"], body["encounter"]) == ("p1", "e1")  # item 52
    assert body["need_patient_banner"] is True  # item 59: present, boolean
    assert "fhirContext" not in body  # item 53: omitted
    assert isinstance(body["refresh_token"], str) and body["refresh_token"]  # item 63
    style_url = body["smart_style_url"]  # item 60: absolute, public JSON
    assert URL(style_url).is_absolute() and style_url.startswith(PUBLIC + "/")
    style = await proxy.client.get(URL(style_url).path)  # no Authorization header
    assert style.status == 200
    assert (await style.json())["color_background"]
    claims = proxy.client.app[SIGNING_KEY].verify(body["id_token"])  # items 104-107
    assert claims["fhirUser"] == f"{FHIR_BASE}/Practitioner/prac-1"
    assert second_to_last_segment(claims["fhirUser"]) == "Practitioner"
    assert claims["aud"] == EHR_APP

    token = body["access_token"]
    for path, kind in (("Patient/p1", "Patient"), ("Encounter/e1", "Encounter"),
                       ("Practitioner/prac-1", "Practitioner")):  # items 57, 58, 107
        status, resource = await read(proxy, f"/fhir/{path}", token)
        assert (status, resource["resourceType"]) == (200, kind), path

    raw = base64.b64encode(f"{EHR_APP}:{CLINICIAN_SECRET}".encode()).decode()
    refreshed = await proxy.client.post(  # items 64-66 for the Basic-authenticated client
        "/auth/token", data={"grant_type": "refresh_token", "scope": body["scope"],
                             "refresh_token": body["refresh_token"]},
        headers={"Authorization": f"Basic {raw}"},
    )
    again = await refreshed.json()
    assert refreshed.status == 200
    assert (again["scope"], again["patient"], again["encounter"]) == (body["scope"], "p1", "e1")


async def test_item_61_ehr_launch_with_only_patient_scopes_returns_the_patient(
    proxy: Browser,
) -> None:
    launch = await ehr_launch(proxy, fhir_user="Practitioner/prac-1")
    scope = "launch openid fhirUser offline_access patient/Patient.rs"  # Inferno 9.9 request
    done = await proxy.get(ehr_url(launch, scope))
    body = await exchange(proxy, code_of(done), EHR_REDIRECT, EHR_APP, CLINICIAN_SECRET)
    assert body["patient"] == "p1"
    assert body["scope"] == scope
    status, patient = await read(proxy, "/fhir/Patient/p1", body["access_token"])
    assert (status, patient["resourceType"]) == (200, "Patient")


@pytest.mark.parametrize("aud", ["https://inferno.healthit.gov/invalid_aud", None])
async def test_item_32_ehr_launch_aud_must_be_the_iss(proxy: Browser, aud: str | None) -> None:
    launch = await ehr_launch(proxy, fhir_user="Practitioner/prac-1")
    page = await proxy.get(ehr_url(launch, "launch openid user/Patient.rs", aud=aud,
                                   state="bad-aud"))
    params = redirect_params(page)
    assert (params["error"], params["state"]) == (["invalid_request"], ["bad-aud"])
    assert "code" not in params
    # the refusal did not spend the launch: with the right aud it works
    code_of(await proxy.get(ehr_url(launch, "launch openid user/Patient.rs")))


# --- §8 items 71-73: the patient revokes on the management page; the app's tokens stop ---------


async def test_item_71_72_73_patient_directed_revocation_ends_access_and_refresh(
    proxy: Browser,
) -> None:
    code = code_of(await allow(proxy, await consent_for(proxy, authorize_url())))
    body = await exchange(proxy, code, PATIENT_REDIRECT, PATIENT_APP)
    assert (await read(proxy, "/fhir/Patient/p1", body["access_token"]))[0] == 200

    apps = await sign_in(proxy, await proxy.get(PUBLIC + "/patient/apps"), "amy")
    assert "My Health Record Viewer" in apps.text
    (revoke,) = [f for f in apps.forms if f.action.endswith("/patient/apps/revoke")]
    await proxy.submit(revoke)

    status, outcome = await read(proxy, "/fhir/Patient/p1", body["access_token"])
    assert status in (401, 403, 404) and outcome["resourceType"] == "OperationOutcome"
    refreshed = await proxy.client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"],
                             "client_id": PATIENT_APP},
    )
    assert refreshed.status in (400, 401)
    assert (await refreshed.json())["error"] == "invalid_grant"
