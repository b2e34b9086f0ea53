"""Steps of a launch, done through the real pages (shared by the authorization tests)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyotp

from smart_proxy.auth.records import CODE_NS, AuthorizationCode
from smart_proxy.consent import ConsentRecord, ConsentStore
from smart_proxy.grants import token_digest
from smart_proxy.state import StateStore

from .authz_browser import Browser, Page
from .conftest import OMAR_TOTP, PASSWORDS


async def sign_in(browser: Browser, page: Page, username: str, password: str | None = None) -> Page:
    form = page.form("/auth/login")
    form.fill("username", username)
    form.fill("password", PASSWORDS[username] if password is None else password)
    return await browser.submit(form)


async def pick(browser: Browser, page: Page, patient: str) -> Page:
    return await browser.submit(page.form("/auth/patient").choose("patient", patient))


async def pass_mfa(browser: Browser, page: Page, now: float, secret: str = OMAR_TOTP) -> Page:
    code = pyotp.TOTP(secret).at(int(now))
    return await browser.submit(page.form("/auth/mfa").fill("code", code))


async def allow(browser: Browser, page: Page) -> Page:
    return await browser.submit(page.form("/auth/consent"), ("decision", "allow"))


def redirect_params(page: Page) -> dict[str, list[str]]:
    assert page.status == 302, (page.status, page.text[:300])
    assert page.location is not None
    return parse_qs(urlsplit(page.location).query, keep_blank_values=True)


def code_of(page: Page) -> str:
    params = redirect_params(page)
    assert "error" not in params, params
    return params["code"][0]


async def code_record(store: StateStore, code: str) -> AuthorizationCode:
    data = await store.get(CODE_NS, token_digest(code))
    assert data is not None
    return AuthorizationCode.from_json(data)


async def consent_of(store: StateStore, record: AuthorizationCode) -> ConsentRecord:
    assert record.consent_id is not None
    consent = await ConsentStore(store).get(record.consent_id)
    assert consent is not None
    return consent
