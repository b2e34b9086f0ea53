"""Attacks on the authorization pages found in review: each test failed before its fix.

Also pins, as regressions, look-alike ``aud`` and ``redirect_uri`` values that were
already refused (smart-conformance.md items 24, 25, 27) and picker tampering.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from app_registry import load_registry_text
from smart_proxy.auth.records import PENDING_NS
from smart_proxy.state import StateStore

from .authz_browser import PUBLIC, Browser
from .authz_flow import allow, code_of, code_record, pick, redirect_params, sign_in
from .conftest import (
    BACKENDS,
    FHIR_BASE,
    PATIENT_REDIRECT,
    FakeClock,
    ProxyFactory,
    authorize_url,
)

# --- login throttle: parallel attempts ------------------------------------------------


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_parallel_wrong_passwords_cannot_outrun_the_throttle(browser: Browser) -> None:
    """20 guesses fired at once: before the fix every one reached the password check."""
    form = (await browser.get(authorize_url())).form("/auth/login")
    form.fill("username", "amy").fill("password", "a-guess")
    pages = await asyncio.gather(*(browser.submit(form) for _ in range(20)))
    statuses = [page.status for page in pages]
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= 6  # ACCOUNT_POLICY: 5 free failures, then a wait
    for page in pages:
        if page.status == 429:
            assert "Too many sign-in attempts. Try again in" in page.text
            assert int(page.headers["Retry-After"]) >= 1


async def test_the_account_can_sign_in_after_a_parallel_burst(browser: Browser) -> None:
    form = (await browser.get(authorize_url())).form("/auth/login")
    form.fill("username", "amy").fill("password", "a-guess")
    await asyncio.gather(*(browser.submit(form) for _ in range(3)))
    page = await sign_in(browser, await browser.get(authorize_url()), "amy")
    assert page.status == 200 and "Whose health records" in page.text  # no marker left


# --- aud and redirect_uri look-alikes ---------------------------------------------------


@pytest.mark.parametrize(
    "aud",
    [
        " " + FHIR_BASE,
        FHIR_BASE + " ",
        "https://proxy.exa\tmple.org/fhir",
        "https://proxy.example.org/fh\nir",
        FHIR_BASE + "?",
        FHIR_BASE + "#",
        FHIR_BASE + "?x=1",
        "https://proxy.example.org/fhir/../fhir",
        "https://proxy.example.org/other/../fhir",
        "https://proxy.example.org:443/fhir",
        "https://proxy.example.org:8443/fhir",
        "https://user@proxy.example.org/fhir",
        "https://proxy.example.org@evil.example/fhir",
        "http://proxy.example.org/fhir",
        "https://proxy.example.org/%66hir",
        "https://proxy.example.org/FHIR",
        "https://proxy.example.org./fhir",
        "https://proxy.example.org/fhir/.",
        "https://proxy.example.org/fhirx",
    ],
)
async def test_aud_look_alikes_get_no_code(
    browser: Browser, auth_store: StateStore, aud: str
) -> None:
    page = await browser.get(authorize_url(aud=aud, state="aud-1"))
    params = redirect_params(page)
    assert page.location is not None and page.location.startswith(PATIENT_REDIRECT + "?")
    assert params["error"] == ["invalid_request"] and params["state"] == ["aud-1"]
    assert "code" not in params
    assert not browser.cookies  # no transaction was started


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:9999/%63allback",
        "http://evil@127.0.0.1:9999/callback",
        "http://127.0.0.1:9999@evil.example/callback",
        PATIENT_REDIRECT + "#x",
        PATIENT_REDIRECT + "#",
        PATIENT_REDIRECT + "?",
        PATIENT_REDIRECT + "?next=https://evil.example/",
        PATIENT_REDIRECT + "/.",
        PATIENT_REDIRECT + "/../callback",
        " " + PATIENT_REDIRECT,
        "HTTP://127.0.0.1:9999/callback",
        "http://127.0.0.1:9999/Callback",
        "//127.0.0.1:9999/callback",
    ],
)
async def test_redirect_uri_look_alikes_are_a_400_page(browser: Browser, redirect_uri: str) -> None:
    page = await browser.get(authorize_url(redirect_uri=redirect_uri))
    assert page.status == 400 and "Location" not in page.headers
    assert "This app cannot connect" in page.text


# --- state ------------------------------------------------------------------------------


async def test_an_empty_state_is_echoed_exactly(browser: Browser) -> None:
    """RFC 6749 §4.1.2.1: state "if present ... the exact value received"."""
    page = await browser.get(authorize_url(state=""))
    assert page.location is not None and "&state=" in page.location
    params = redirect_params(page)
    assert params["error"] == ["invalid_request"] and params["state"] == [""]
    assert "code" not in params


# --- refusals of an app withdrawn during the flow ----------------------------------------

SUSPENDED_MIDWAY = """
apps:
  - client_id: soon-suspended
    name: Soon Suspended
    publisher: {name: Example Co, url: https://app.example/}
    privacy_policy_uri: https://app.example/privacy
    contacts: [dev@app.example]
    client_type: public
    audience: patient
    launch_types: [standalone]
    redirect_uris: [http://127.0.0.1:9996/callback]
    scopes: [launch/patient, openid, fhirUser, patient/Patient.rs]
    lifecycle:
      - {status: approved, date: 2026-01-01, by: admin@ehr.example}
      - status: suspended
        date: 2026-03-02T00:10:00Z
        by: security@ehr.example
        reason: Redirect host served a phishing page.
"""


async def test_a_refusal_does_not_link_to_an_app_suspended_meanwhile(
    make_proxy: ProxyFactory, clock: FakeClock, auth_store: StateStore
) -> None:
    browser = await make_proxy(load_registry_text(SUSPENDED_MIDWAY))
    url = authorize_url(
        client_id="soon-suspended",
        redirect_uri="http://127.0.0.1:9996/callback",
        scope="launch/patient patient/Patient.rs",
    )
    login = await browser.get(url)
    tx = login.form("/auth/login").get("tx")
    clock.advance(11 * 60)  # suspended now; the transaction is still live
    page = await sign_in(browser, login, "linh")  # clinician standalone → refusal
    assert page.status == 400 and "Location" not in page.headers
    assert "This app can no longer be connected." in page.text
    assert not any("127.0.0.1:9996" in link for link in page.links)
    assert await auth_store.get(PENDING_NS, tx) is None


# --- patient picker tampering (regression) ----------------------------------------------


async def test_the_patient_cannot_be_changed_after_it_was_picked(
    browser: Browser, auth_store: StateStore
) -> None:
    picker = await sign_in(browser, await browser.get(authorize_url()), "amy")
    stale = picker.form("/auth/patient")
    consent = await pick(browser, picker, "p1")
    again = await browser.submit(stale.choose("patient", "p2"))
    assert urlsplit(again.url).path == "/auth/consent"
    assert again.history and urlsplit(again.history[-1][1]).path == "/auth/consent"
    tx = parse_qs(urlsplit(again.url).query)["tx"][0]
    assert (await auth_store.get(PENDING_NS, tx))["patient"] == "p1"
    record = await code_record(auth_store, code_of(await allow(browser, consent)))
    assert record.patient == "p1"


async def test_a_finished_transaction_cannot_be_replayed_at_any_step(browser: Browser) -> None:
    consent = await pick(
        browser, await sign_in(browser, await browser.get(authorize_url()), "amy"), "p1"
    )
    code_of(await allow(browser, consent))
    tx = consent.form("/auth/consent").get("tx")
    for path in ("/auth/login", "/auth/patient", "/auth/mfa", "/auth/consent"):
        page = await browser.get(f"{PUBLIC}{path}?tx={tx}")
        assert page.status == 400 and "Location" not in page.headers
        assert "This sign-in has expired" in page.text
