"""The consent screen and what the choices grant: smart-conformance.md §4 (items 28-40)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from smart_proxy.auth.records import CODE_NS, PENDING_NS
from smart_proxy.consent import ConsentStore
from smart_proxy.grants import token_digest
from smart_proxy.state import StateStore

from .authz_browser import PUBLIC, Browser, Page
from .authz_flow import allow, code_of, code_record, consent_of, pick, redirect_params, sign_in
from .conftest import (
    BACKENDS,
    PATIENT_APP,
    PATIENT_REDIRECT,
    START,
    VERIFIER,
    authorize_url,
)

OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
COND_CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
LAB = f"patient/Observation.rs?category={OBS_CAT}|laboratory"
VITALS = f"patient/Observation.rs?category={OBS_CAT}|vital-signs"
PROBLEMS = f"patient/Condition.rs?category={COND_CAT}|problem-list-item"
SENSITIVE = ("PSY", "ETH", "HIV", "R")
INFERNO_GRANULAR_REQUEST = (
    "launch/patient openid fhirUser offline_access patient/Condition.rs "
    "patient/Observation.rs patient/Patient.rs"
)


async def consent_page(browser: Browser, state: str = "st-1", **changes: Any) -> Page:
    page = await browser.get(authorize_url(state=state, **changes))
    page = await sign_in(browser, page, "amy")
    return await pick(browser, page, "p1")


def _form_of(url: str) -> list[tuple[str, str]]:
    return [(k, v) for k, vs in parse_qs(urlsplit(url).query).items() for v in vs]


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_whole_standalone_launch_ends_in_a_usable_code(
    browser: Browser, auth_store: StateStore, method: str
) -> None:
    state = "odd state: a+b&c=d/é"
    url = authorize_url(state=state, nonce="n-123")
    if method == "GET":
        page = await browser.get(url)
    else:
        page = await browser.post(PUBLIC + "/auth/authorize", _form_of(url))
    page = await pick(browser, await sign_in(browser, page, "amy"), "p1")
    consent = page.form("/auth/consent")
    assert consent.checked("scope") == [
        "patient/Patient.rs",
        "patient/Observation.rs",
        "patient/Condition.rs",
        "patient/Immunization.rs",
    ]
    page = await allow(browser, page)
    assert page.location is not None and page.location.startswith(PATIENT_REDIRECT + "?code=")
    assert redirect_params(page)["state"] == [state]
    code = code_of(page)
    record = await code_record(auth_store, code)
    assert record.scopes == (
        "launch/patient",
        "openid",
        "fhirUser",
        "offline_access",
        "patient/Patient.rs",
        "patient/Observation.rs",
        "patient/Condition.rs",
        "patient/Immunization.rs",
    )
    assert (record.client_id, record.redirect_uri) == (PATIENT_APP, PATIENT_REDIRECT)
    assert (record.username, record.fhir_user, record.patient) == ("amy", "Patient/p1", "p1")
    assert (record.nonce, record.issued_at, record.auth_time) == ("n-123", START, START)
    assert record.code_challenge_method == "S256"
    saved = await consent_of(auth_store, record)
    assert saved.granted_scopes == record.scopes
    assert (saved.patient, saved.client_id, saved.username, saved.offline) == (
        "p1",
        PATIENT_APP,
        "amy",
        True,
    )
    assert saved.expires_at == START + 90 * 24 * 3600
    assert saved.withheld_labels == SENSITIVE
    assert saved.created_at == START
    assert await auth_store.get(PENDING_NS, consent.get("tx")) is None  # transaction consumed

    # The token endpoint answers with exactly the scopes the patient kept.
    answer = await browser.client.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": PATIENT_REDIRECT,
            "client_id": PATIENT_APP,
            "code_verifier": VERIFIER,
        },
    )
    assert answer.status == 200, await answer.text()
    body = await answer.json()
    assert body["scope"] == " ".join(record.scopes)
    assert body["patient"] == "p1"


async def test_unticking_one_type_removes_exactly_that_scope(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await consent_page(browser)
    form = page.form("/auth/consent").uncheck("scope", "patient/Immunization.rs")
    record = await code_record(
        auth_store, code_of(await browser.submit(form, ("decision", "allow")))
    )
    assert record.scopes == (
        "launch/patient",
        "openid",
        "fhirUser",
        "offline_access",
        "patient/Patient.rs",
        "patient/Observation.rs",
        "patient/Condition.rs",
    )


async def test_sub_categories_replace_the_resource_level_scope(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await consent_page(browser)
    form = page.form("/auth/consent")
    assert LAB in form.options("category") and PROBLEMS in form.options("category")
    assert form.checked("category") == []  # offered, not pre-selected
    assert page.label_of(form, "category", LAB) == "Lab results"
    form.check("category", LAB).check("category", VITALS)
    record = await code_record(
        auth_store, code_of(await browser.submit(form, ("decision", "allow")))
    )
    assert record.scopes == (
        "launch/patient",
        "openid",
        "fhirUser",
        "offline_access",
        "patient/Patient.rs",
        LAB,
        VITALS,
        "patient/Condition.rs",
        "patient/Immunization.rs",
    )


async def test_inferno_granular_selection(browser: Browser, auth_store: StateStore) -> None:
    """g10 9.15: only granular Condition/Observation scopes, plus resource-level Patient."""
    page = await consent_page(browser, scope=INFERNO_GRANULAR_REQUEST)
    form = page.form("/auth/consent").check("category", LAB).check("category", PROBLEMS)
    record = await code_record(
        auth_store, code_of(await browser.submit(form, ("decision", "allow")))
    )
    scopes = set(record.scopes)
    assert "patient/Condition.rs" not in scopes and "patient/Observation.rs" not in scopes
    assert {
        LAB,
        PROBLEMS,
        "patient/Patient.rs",
        "launch/patient",
        "openid",
        "fhirUser",
        "offline_access",
    } == scopes


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
@pytest.mark.parametrize("opt_in", [False, True])
async def test_sensitive_records_are_withheld_unless_opted_in(
    browser: Browser, auth_store: StateStore, opt_in: bool
) -> None:
    page = await consent_page(browser)
    form = page.form("/auth/consent")
    assert form.checked("sensitive") == []
    if opt_in:
        form.check("sensitive", "yes")
    record = await code_record(
        auth_store, code_of(await browser.submit(form, ("decision", "allow")))
    )
    assert (await consent_of(auth_store, record)).withheld_labels == (() if opt_in else SENSITIVE)


async def test_offline_access_is_announced_and_can_be_switched_off(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await consent_page(browser)
    assert "is asking to keep access when you're not using it" in page.text
    form = page.form("/auth/consent")
    assert form.checked("offline_access") == ["yes"]
    form.uncheck("offline_access", "yes")
    record = await code_record(
        auth_store, code_of(await browser.submit(form, ("decision", "allow")))
    )
    assert "offline_access" not in record.scopes
    assert (await consent_of(auth_store, record)).offline is False


async def test_no_offline_notice_when_it_is_not_asked_for(browser: Browser) -> None:
    page = await consent_page(browser, scope="launch/patient openid patient/Patient.rs")
    assert "not using it" not in page.text
    with pytest.raises(KeyError):
        page.form("/auth/consent").options("offline_access")


@pytest.mark.parametrize(
    ("choice", "lasts"),
    [("hour", 3600), ("90days", 90 * 86400), ("year", 365 * 86400), ("revoked", None)],
)
async def test_how_long_access_lasts(
    browser: Browser, auth_store: StateStore, choice: str, lasts: int | None
) -> None:
    page = await consent_page(browser)
    form = page.form("/auth/consent")
    assert form.checked("duration") == ["90days"]
    form.choose("duration", choice)
    record = await code_record(
        auth_store, code_of(await browser.submit(form, ("decision", "allow")))
    )
    consent = await consent_of(auth_store, record)
    assert consent.expires_at == (None if lasts is None else START + lasts)


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_deny_sends_access_denied_and_stores_nothing(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await consent_page(browser, state="deny me")
    tx = page.form("/auth/consent").get("tx")
    page = await browser.submit(page.form("/auth/consent"), ("decision", "deny"))
    params = redirect_params(page)
    assert params["error"] == ["access_denied"] and params["state"] == ["deny me"]
    assert "code" not in params
    assert await ConsentStore(auth_store).of_patient("p1") == []
    assert await auth_store.get(PENDING_NS, tx) is None


async def test_unticking_every_data_type_is_a_denial(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await consent_page(browser)
    form = page.form("/auth/consent")
    for scope in form.options("scope"):
        form.uncheck("scope", scope)
    params = redirect_params(await browser.submit(form, ("decision", "allow")))
    assert params["error"] == ["access_denied"]
    assert await ConsentStore(auth_store).of_patient("p1") == []


async def test_only_offered_scopes_can_be_granted(browser: Browser, auth_store: StateStore) -> None:
    page = await consent_page(browser, scope="launch/patient openid patient/Patient.rs")
    form = page.form("/auth/consent").add_hidden("scope", "patient/Observation.rs")
    form.add_hidden("category", LAB)
    record = await code_record(
        auth_store, code_of(await browser.submit(form, ("decision", "allow")))
    )
    assert record.scopes == ("launch/patient", "openid", "patient/Patient.rs")


@pytest.mark.parametrize("duration", ["forever", None, "twice"])
async def test_a_tampered_duration_is_refused(browser: Browser, duration: str | None) -> None:
    page = await consent_page(browser)
    form = page.form("/auth/consent")
    if duration is None:
        form.remove("duration")
    elif duration == "twice":
        form.add_hidden("duration", "hour")
    else:
        form.remove("duration").add_hidden("duration", duration)
    page = await browser.submit(form, ("decision", "allow"))
    assert page.status == 400 and "Location" not in page.headers


async def test_one_transaction_gives_one_answer(browser: Browser, auth_store: StateStore) -> None:
    page = await consent_page(browser)
    form = page.form("/auth/consent")
    first = await browser.submit(form, ("decision", "allow"))
    assert first.status == 302
    again = await browser.submit(form, ("decision", "allow"))
    assert again.status == 400 and "Location" not in again.headers
    assert len(await ConsentStore(auth_store).of_patient("p1")) == 1


async def test_the_consent_record_keeps_what_was_shown(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await consent_page(browser)
    record = await code_record(auth_store, code_of(await allow(browser, page)))
    shown = (await consent_of(auth_store, record)).shown
    titles = {item["scope"]: item["title"] for item in shown["data_types"]}
    assert titles["patient/Immunization.rs"] == "Your immunizations (vaccines)"
    assert shown["app"]["name"] == "My Health Record Viewer"
    assert shown["app"]["privacy"] == "https://apps.example/viewer/privacy"
    assert shown["offline_notice"] is True
    assert {n["scope"] for n in shown["kept_as_requested"]} == {
        "launch/patient",
        "openid",
        "fhirUser",
    }


async def test_the_screen_shows_the_app_and_each_type_in_plain_language(browser: Browser) -> None:
    page = await consent_page(browser)
    text = page.text
    for expected in (
        "My Health Record Viewer",
        "Example Health Apps, Inc.",
        "Returns you to 127.0.0.1",
        "This app's developer has attested to CARIN Code of Conduct on 2025-11-20.",
        "Your immunizations (vaccines)",
        "Your health conditions and diagnoses",
        "Know who you are",
        "90 days",
        "Until I revoke it",
        "One hour",
        "One year",
    ):
        assert expected in text, expected
    assert "https://apps.example/viewer/privacy" in page.links
    assert "https://apps.example/viewer/terms" in page.links
    assert page.images == ["https://apps.example/viewer/logo.png"]
    assert page.form("/auth/consent").buttons() == [("decision", "allow"), ("decision", "deny")]


async def test_the_code_is_short_lived_and_stored_only_hashed(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await consent_page(browser)
    code = code_of(await allow(browser, page))
    assert await auth_store.get(CODE_NS, code) is None
    assert 0 < (await auth_store.ttl(CODE_NS, token_digest(code)) or 0) <= 60
    assert len(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))) >= 32
