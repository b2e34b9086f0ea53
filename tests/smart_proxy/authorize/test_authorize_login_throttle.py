"""Local login on ``/auth/login``: identical failures, per-account and per-IP throttling."""

from __future__ import annotations

import pytest

from smart_proxy.auth.records import PENDING_NS
from smart_proxy.config.model import IdentityConfig
from smart_proxy.state import StateStore

from .authz_browser import Browser, Page
from .authz_flow import sign_in
from .conftest import BACKENDS, FakeClock, ProxyFactory, authorize_url

WRONG = "The username or password is not correct."


async def login_page(browser: Browser) -> Page:
    return await browser.get(authorize_url())


async def test_unknown_user_and_wrong_password_look_the_same(browser: Browser) -> None:
    page = await login_page(browser)
    unknown = await sign_in(browser, page, "nobody-here", "amy-demo-password")
    wrong = await sign_in(browser, page, "amy", "not-her-password")
    assert unknown.status == wrong.status == 401
    assert unknown.body == wrong.body
    assert WRONG in wrong.text
    assert "nobody-here" not in unknown.body and "amy" not in wrong.body


async def test_the_right_password_signs_in_case_insensitively(
    browser: Browser, auth_store: StateStore
) -> None:
    page = await login_page(browser)
    picker = await sign_in(browser, page, " AMY ", "amy-demo-password")
    assert picker.status == 200 and "Whose health records" in picker.text
    pending = await auth_store.get(PENDING_NS, page.form("/auth/login").get("tx"))
    assert (pending["username"], pending["fhir_user"]) == ("amy", "Patient/p1")
    assert pending["patients"] == ["p1", "p2"]


@pytest.mark.parametrize("blank", [("", "x"), ("amy", ""), ("  ", "pw")])
async def test_blank_fields_are_a_400_with_the_form_again(
    browser: Browser, blank: tuple[str, str]
) -> None:
    page = await login_page(browser)
    again = await sign_in(browser, page, *blank)
    assert again.status == 400
    assert "Enter your username and password." in again.text
    assert again.form("/auth/login")


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
async def test_an_account_is_throttled_with_a_clear_wait(
    browser: Browser, clock: FakeClock
) -> None:
    page = await login_page(browser)
    for _ in range(6):  # five free failures, the sixth starts the delays
        assert (await sign_in(browser, page, "amy", "guess")).status == 401
    blocked = await sign_in(browser, page, "amy")  # even the right password waits
    assert blocked.status == 429
    assert blocked.headers["Retry-After"] == "1"
    assert "Too many sign-in attempts. Try again in 1 second." in blocked.text
    clock.advance(1)
    assert (await sign_in(browser, page, "amy", "guess")).status == 401
    blocked = await sign_in(browser, page, "amy")
    assert blocked.status == 429 and blocked.headers["Retry-After"] == "2"
    assert "Try again in 2 seconds." in blocked.text
    clock.advance(2)
    assert (await sign_in(browser, page, "amy")).status == 200


async def test_unknown_accounts_are_throttled_like_real_ones(browser: Browser) -> None:
    page = await login_page(browser)
    for _ in range(6):
        await sign_in(browser, page, "ghost", "guess")
    blocked = await sign_in(browser, page, "ghost", "guess")
    assert blocked.status == 429 and "Try again in 1 second." in blocked.text


async def test_an_ip_is_throttled_across_accounts(browser: Browser) -> None:
    page = await login_page(browser)
    for number in range(21):  # twenty free failures per IP, each on a fresh account name
        assert (await sign_in(browser, page, f"user-{number}", "guess")).status == 401
    blocked = await sign_in(browser, page, "amy")
    assert blocked.status == 429
    assert "Try again in 1 second." in blocked.text


async def test_no_local_accounts_configured(make_proxy: ProxyFactory) -> None:
    browser = await make_proxy(identity=IdentityConfig())
    page = await browser.get(authorize_url())
    assert "No way to sign in is set up on this server." in page.text
    assert page.forms == []
