"""Choosing whose records to share: the picker, its server-side check, and clinician refusals."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app_registry import load_registry_text
from smart_proxy.auth.records import PENDING_NS
from smart_proxy.state import StateStore

from .authz_browser import PUBLIC, Browser
from .authz_flow import allow, code_of, code_record, pick, sign_in
from .conftest import BACKENDS, PATIENT_REDIRECT, ProxyFactory, authorize_url

CLINICIAN_STANDALONE_APP = """
apps:
  - client_id: ward-list
    name: Ward List
    publisher: {name: Example Clinical Tools LLC, url: https://clinical-tools.example/}
    privacy_policy_uri: https://clinical-tools.example/privacy
    contacts: [support@clinical-tools.example]
    client_type: public
    audience: clinician
    launch_types: [standalone]
    redirect_uris: [http://127.0.0.1:9997/callback]
    scopes: [openid, fhirUser, user/Practitioner.rs, launch/patient, patient/Patient.rs]
    lifecycle:
      - {status: approved, date: 2026-01-01, by: admin@ehr.example}
"""


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_a_parent_picks_her_child(browser: Browser, auth_store: StateStore) -> None:
    page = await sign_in(browser, await browser.get(authorize_url()), "amy")
    form = page.form("/auth/patient")
    assert form.options("patient") == ["p1", "p2"]
    assert [page.label_of(form, "patient", p) for p in ("p1", "p2")] == [
        "Yourself",
        "Patient record p2",
    ]
    consent = await pick(browser, page, "p2")
    assert "Records to share: Patient record p2" in consent.text
    record = await code_record(auth_store, code_of(await allow(browser, consent)))
    assert (record.patient, record.fhir_user) == ("p2", "Patient/p1")


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
@pytest.mark.parametrize("tampered", ["p3", "p1 ", "", None])
async def test_a_patient_not_on_the_list_is_refused(
    browser: Browser, auth_store: StateStore, tampered: str | None
) -> None:
    page = await sign_in(browser, await browser.get(authorize_url()), "amy")
    form = page.form("/auth/patient")
    form.remove("patient")
    if tampered is not None:
        form.add_hidden("patient", tampered)
    refused = await browser.submit(form)
    assert refused.status == 400
    assert "That patient cannot be chosen" in refused.text
    pending = await auth_store.get(PENDING_NS, form.get("tx"))
    assert pending["patient"] is None
    consent = await browser.get(f"{PUBLIC}/auth/consent?tx={form.get('tx')}")
    assert urlsplit(consent.url).path == "/auth/patient"  # still has to choose


async def test_someone_acting_for_one_patient_skips_the_picker(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await sign_in(browser, await browser.get(authorize_url()), "amy-proxy")
    assert urlsplit(page.url).path == "/auth/consent"
    record = await code_record(auth_store, code_of(await allow(browser, page)))
    assert (record.patient, record.fhir_user) == ("p2", "RelatedPerson/rp-p2-1")


async def test_a_clinician_standalone_launch_needing_a_patient_is_refused(
    browser: Browser, auth_store: StateStore
) -> None:
    login = await browser.get(authorize_url(state="c1"))
    tx = login.form("/auth/login").get("tx")
    page = await sign_in(browser, login, "linh")
    assert page.status == 403 and "Location" not in page.headers
    assert "Open the app from the patient's chart in the EHR" in page.text
    (back,) = [link for link in page.links if link.startswith(PATIENT_REDIRECT)]
    params = parse_qs(urlsplit(back).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["c1"]
    assert await auth_store.get(PENDING_NS, tx) is None  # the transaction is over


async def test_a_clinician_standalone_launch_without_patient_scopes_gets_a_code(
    make_proxy: ProxyFactory, auth_store: StateStore
) -> None:
    browser = await make_proxy(load_registry_text(CLINICIAN_STANDALONE_APP))
    url = authorize_url(
        client_id="ward-list",
        redirect_uri="http://127.0.0.1:9997/callback",
        scope="openid fhirUser user/Practitioner.rs",
    )
    done = await sign_in(browser, await browser.get(url), "linh")
    record = await code_record(auth_store, code_of(done))  # no consent screen for clinicians
    assert record.scopes == ("openid", "fhirUser", "user/Practitioner.rs")
    assert (record.patient, record.consent_id, record.fhir_user) == (
        None,
        None,
        "Practitioner/prac-1",
    )
    with_patient = url.replace("user%2FPractitioner.rs", "launch%2Fpatient")
    refused = await sign_in(browser, await browser.get(with_patient), "linh")
    assert refused.status == 403 and "Location" not in refused.headers
