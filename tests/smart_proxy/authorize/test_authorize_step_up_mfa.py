"""Step-up TOTP before a first consent or offline access, its throttling, and enrolment."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from smart_proxy.auth.records import PENDING_NS
from smart_proxy.consent import ConsentStore
from smart_proxy.identity import UserDirectory, totp
from smart_proxy.state import StateStore

from .authz_browser import PUBLIC, Browser, Page
from .authz_flow import allow, code_of, code_record, pass_mfa, pick, sign_in
from .conftest import BACKENDS, DEMO_USERS, OMAR_TOTP, FakeClock, authorize_url

NO_OFFLINE = "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs"


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


async def omar_signed_in(browser: Browser, scope: str | None = None) -> Page:
    page = await browser.get(authorize_url(scope=scope) if scope else authorize_url())
    return await sign_in(browser, page, "omar")


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_an_enrolled_user_passes_mfa_before_a_first_consent(
    browser: Browser, auth_store: StateStore, clock: FakeClock
) -> None:
    page = await omar_signed_in(browser, NO_OFFLINE)
    assert path_of(page) == "/auth/mfa" and page.status == 200
    assert "enter the six-digit code" in page.text
    wrong = await browser.submit(page.form("/auth/mfa").fill("code", "000000"))
    assert wrong.status == 401 and "That code is not correct." in wrong.text
    consent = await pass_mfa(browser, wrong, clock())
    assert path_of(consent) == "/auth/consent"
    record = await code_record(auth_store, code_of(await allow(browser, consent)))
    assert (record.username, record.patient) == ("omar", "p3")


async def test_no_mfa_for_a_repeat_consent_without_offline_access(
    browser: Browser, clock: FakeClock
) -> None:
    page = await pass_mfa(browser, await omar_signed_in(browser, NO_OFFLINE), clock())
    code_of(await allow(browser, page))
    clock.advance(30)
    again = await omar_signed_in(browser, NO_OFFLINE)
    assert path_of(again) == "/auth/consent"  # an active consent exists: no step-up
    with_offline = await omar_signed_in(browser, NO_OFFLINE + " offline_access")
    assert path_of(with_offline) == "/auth/mfa"  # offline access always steps up


async def test_a_revoked_consent_makes_the_next_one_a_first_again(
    browser: Browser, auth_store: StateStore, clock: FakeClock
) -> None:
    page = await pass_mfa(browser, await omar_signed_in(browser, NO_OFFLINE), clock())
    record = await code_record(auth_store, code_of(await allow(browser, page)))
    await ConsentStore(auth_store).revoke(str(record.consent_id), clock(), by="omar")
    assert path_of(await omar_signed_in(browser, NO_OFFLINE)) == "/auth/mfa"


async def test_users_without_totp_are_not_asked(browser: Browser) -> None:
    page = await sign_in(browser, await browser.get(authorize_url()), "amy")
    assert path_of(await pick(browser, page, "p1")) == "/auth/consent"


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_wrong_codes_are_throttled(
    browser: Browser, auth_store: StateStore, clock: FakeClock
) -> None:
    page = await omar_signed_in(browser)
    for _ in range(4):
        page = await browser.submit(page.form("/auth/mfa").fill("code", "123456"))
        assert page.status == 401
    locked = await browser.submit(page.form("/auth/mfa").fill("code", "123456"))
    assert locked.status == 429
    assert locked.headers["Retry-After"] == "300"
    assert "Too many wrong codes. Try again in 300 seconds." in locked.text
    right_but_locked = await pass_mfa(browser, locked, clock())
    assert right_but_locked.status == 429
    pending = await auth_store.get(PENDING_NS, locked.form("/auth/mfa").get("tx"))
    assert pending["mfa_passed"] is False
    clock.advance(300)
    assert path_of(await pass_mfa(browser, right_but_locked, clock())) == "/auth/consent"


async def test_the_consent_step_cannot_skip_mfa(browser: Browser, auth_store: StateStore) -> None:
    page = await omar_signed_in(browser)
    form = page.form("/auth/mfa")
    tx = form.get("tx")
    skipped = await browser.get(f"{PUBLIC}/auth/consent?tx={tx}")
    assert path_of(skipped) == "/auth/mfa"
    forged = [
        ("tx", tx),
        ("csrf", form.get("csrf")),
        ("decision", "allow"),
        ("duration", "90days"),
        ("scope", "patient/Patient.rs"),
    ]
    answer = await browser.post(PUBLIC + "/auth/consent", forged)
    assert path_of(answer) == "/auth/mfa"
    assert await ConsentStore(auth_store).of_patient("p3") == []


async def test_a_used_code_cannot_be_replayed(browser: Browser, clock: FakeClock) -> None:
    code = pyotp.TOTP(OMAR_TOTP).at(int(clock()))
    first = await browser.submit(
        (await omar_signed_in(browser)).form("/auth/mfa").fill("code", code)
    )
    assert path_of(first) == "/auth/consent"
    second = await omar_signed_in(browser)
    replay = await browser.submit(second.form("/auth/mfa").fill("code", code))
    assert replay.status == 401


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_enrolment_then_step_up(
    browser: Browser, auth_store: StateStore, clock: FakeClock
) -> None:
    page = await browser.get(PUBLIC + "/patient/mfa")
    assert path_of(page) == "/auth/login"
    assert page.form("/auth/login").get("next") == "/patient/mfa"
    page = await sign_in(browser, page, "amy")
    assert path_of(page) == "/patient/mfa"
    secret, uri = page.codes
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    assert not any("qr" in src.lower() for src in page.images)  # no third-party QR service
    wrong = await browser.submit(page.form("/patient/mfa").fill("code", "000000"))
    assert wrong.status == 401 and wrong.codes[0] == secret  # same secret offered again
    users = UserDirectory.load(DEMO_USERS)
    assert not await totp.is_enrolled(auth_store, users, "amy")
    done = await browser.submit(
        wrong.form("/patient/mfa").fill("code", pyotp.TOTP(secret).at(int(clock())))
    )
    assert done.status == 200 and "Two-step verification is on" in done.text
    assert await totp.is_enrolled(auth_store, users, "amy")
    again = await browser.get(PUBLIC + "/patient/mfa")
    assert "already uses an authenticator app" in again.text and again.forms == []

    clock.advance(30)
    flow = await pick(
        browser, await sign_in(browser, await browser.get(authorize_url()), "amy"), "p2"
    )
    assert path_of(flow) == "/auth/mfa"
    consent = await pass_mfa(browser, flow, clock(), secret)
    assert path_of(consent) == "/auth/consent"
    tx = parse_qs(urlsplit(consent.url).query)["tx"][0]
    assert (await auth_store.get(PENDING_NS, tx))["mfa_passed"] is True
