"""``/patient/apps``: connected apps, revoke (effective at once), login session, logout."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from smart_proxy.consent import ConsentStore
from smart_proxy.state import StateStore

from .authz_browser import PUBLIC, Browser, Form, Page
from .authz_flow import allow, code_of, code_record, pass_mfa, pick, sign_in
from .conftest import BACKENDS, FakeClock, authorize_url

APPS = PUBLIC + "/patient/apps"


async def connect(browser: Browser, store: StateStore, user: str, patient: str | None) -> str:
    """Run a whole launch; returns the consent id."""
    page = await sign_in(browser, await browser.get(authorize_url()), user)
    if patient is not None:
        page = await pick(browser, page, patient)
    record = await code_record(store, code_of(await allow(browser, page)))
    assert record.consent_id is not None
    return record.consent_id


async def apps_page(browser: Browser, user: str = "amy") -> Page:
    page = await browser.get(APPS)
    if urlsplit(page.url).path == "/auth/login":
        page = await sign_in(browser, page, user)
    assert urlsplit(page.url).path == "/patient/apps", page.text[:300]
    return page


def revoke_form_for(page: Page, consent_id: str) -> Form:
    (form,) = [f for f in page.forms if any(x.value == consent_id for x in f.fields)]
    return form


async def test_signing_in_is_required(browser: Browser) -> None:
    page = await browser.get(APPS, follow=False)
    assert page.status == 303
    assert page.location == PUBLIC + "/auth/login?next=/patient/apps"
    login = await browser.get(page.location)
    assert login.form("/auth/login").get("next") == "/patient/apps"
    cookie = [h for h in browser.set_cookie_headers if h.startswith("__Host-smart-proxy-session=")]
    assert cookie and all(
        flag in cookie[0] for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/")
    )


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_connected_apps_are_listed_and_revoke_ends_the_consent(
    browser: Browser, auth_store: StateStore, clock: FakeClock
) -> None:
    mine = await connect(browser, auth_store, "amy", "p1")
    my_sons = await connect(browser, auth_store, "amy", "p2")
    page = await apps_page(browser)
    assert page.text.count("My Health Record Viewer") >= 2
    for expected in (
        "Signed in as Amy Lindqvist",
        "Patient record p1",
        "Patient record p2",
        "Your immunizations (vaccines)",
        "Connected on 02 March 2026",
        "Until 31 May 2026",
        "Access when you are not using the app Yes",
    ):
        assert expected in page.text, expected
    form = revoke_form_for(page, mine)
    after = await browser.submit(form)
    assert urlsplit(after.url).path == "/patient/apps" and after.history[0][0] == 303
    consents = ConsentStore(auth_store)
    assert not await consents.is_active(mine, clock())
    assert await consents.is_active(my_sons, clock())
    revoked = await consents.get(mine)
    assert revoked is not None and (revoked.revoked_at, revoked.revoked_by) == (clock(), "amy")
    assert "Patient record p1" not in after.text and "Patient record p2" in after.text


@pytest.mark.parametrize(("csrf", "status"), [(None, 400), ("forged", 403)])
async def test_revoke_needs_the_csrf_token(
    browser: Browser, auth_store: StateStore, clock: FakeClock, csrf: str | None, status: int
) -> None:
    consent_id = await connect(browser, auth_store, "amy", "p1")
    form = revoke_form_for(await apps_page(browser), consent_id)
    form.remove("csrf")
    if csrf is not None:
        form.add_hidden("csrf", csrf)
    assert (await browser.submit(form)).status == status
    assert await ConsentStore(auth_store).is_active(consent_id, clock())


async def test_nobody_can_revoke_another_patients_consent(
    browser: Browser, auth_store: StateStore, clock: FakeClock
) -> None:
    omar_flow = await sign_in(browser, await browser.get(authorize_url()), "omar")
    consent = await pass_mfa(browser, omar_flow, clock())
    omars = str((await code_record(auth_store, code_of(await allow(browser, consent)))).consent_id)
    amy = Browser(browser.client)
    page = await apps_page(amy)
    assert "Patient record p3" not in page.text
    (logout_form,) = [f for f in page.forms if f.action.endswith("/patient/logout")]
    forged = [("csrf", logout_form.get("csrf")), ("consent_id", omars)]
    refused = await amy.post(PUBLIC + "/patient/apps/revoke", forged)
    assert refused.status == 404
    assert await ConsentStore(auth_store).is_active(omars, clock())


async def test_clinicians_cannot_use_the_page(browser: Browser) -> None:
    page = await sign_in(browser, await browser.get(APPS), "linh")
    assert page.status == 403
    assert "This page is for patients" in page.text


async def test_login_without_a_session_is_refused(browser: Browser) -> None:
    login = await browser.get(APPS)
    form = login.form("/auth/login").fill("username", "amy").fill("password", "amy-demo-password")
    fresh = Browser(browser.client)  # no session cookie: a cross-site login attempt
    assert (await fresh.submit(form)).status == 400
    form.remove("csrf").add_hidden("csrf", "forged")
    assert (await browser.submit(form)).status == 403


async def test_signing_in_replaces_the_session(browser: Browser) -> None:
    await browser.get(APPS)
    before = browser.cookies["__Host-smart-proxy-session"][0]
    await apps_page(browser)
    assert browser.cookies["__Host-smart-proxy-session"][0] != before  # no session fixation


async def test_only_listed_next_pages_are_followed(browser: Browser) -> None:
    login = await browser.get(PUBLIC + "/auth/login?next=https://evil.example/")
    assert login.form("/auth/login").get("next") == "/patient/apps"


async def test_logout(browser: Browser) -> None:
    page = await apps_page(browser)
    (form,) = [f for f in page.forms if f.action.endswith("/patient/logout")]
    out = await browser.submit(form)
    assert out.status == 200 and "You are signed out" in out.text
    assert "__Host-smart-proxy-session" not in browser.cookies
    again = await browser.get(APPS, follow=False)
    assert again.status == 303
