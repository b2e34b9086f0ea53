"""Headers, cookies, browser binding, CSRF and escaping on the authorization pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from yarl import URL

from app_registry import load_registry_text
from smart_proxy.auth.records import PENDING_NS, PENDING_TTL_S
from smart_proxy.authorize.consent_page import safe_link, safe_logo
from smart_proxy.consent import ConsentStore
from smart_proxy.state import StateStore

from .authz_browser import PUBLIC, Browser, Page
from .authz_flow import pick, sign_in
from .conftest import BACKENDS, FakeClock, ProxyFactory, authorize_url

HOSTILE = """
apps:
  - client_id: hostile-app
    name: "<script>alert('name')</script> & Co"
    publisher: {name: "Evil \\"Quotes\\" <b>Inc</b>", url: https://evil.example/}
    description: "<img src=x onerror=alert(1)> steals </form><form action=https://evil.example>"
    logo_uri: https://evil.example/logo.png?"onerror="alert(2)
    privacy_policy_uri: https://evil.example/privacy?a=1&b=<x>
    contacts: [x@evil.example]
    client_type: public
    audience: patient
    launch_types: [standalone]
    redirect_uris: [http://127.0.0.1:9999/callback]
    scopes: [launch/patient, openid, patient/Patient.rs]
    attestation: {status: not-attested}
    lifecycle:
      - {status: approved, date: 2026-01-01, by: admin@ehr.example}
"""


def assert_page_headers(page: Page) -> None:
    headers = page.headers
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp and "style-src 'self'" in csp
    assert "form-action" not in csp and "unsafe-inline" not in csp
    assert headers["Content-Type"] == "text/html; charset=utf-8"


async def test_every_page_and_redirect_has_the_protective_headers(browser: Browser) -> None:
    first = await browser.get(authorize_url(), follow=False)
    assert first.headers["Cache-Control"] == "no-store"
    login = await browser.get(first.location or "")
    assert_page_headers(login)
    picker = await sign_in(browser, login, "amy")
    assert_page_headers(picker)
    consent = await pick(browser, picker, "p1")
    assert_page_headers(consent)
    done = await browser.submit(consent.form("/auth/consent"), ("decision", "allow"))
    assert done.headers["Cache-Control"] == "no-store"
    error = await browser.get(authorize_url(client_id="nobody"))
    assert_page_headers(error)
    assert error.status == 400


async def test_the_patient_pages_have_the_protective_headers(browser: Browser) -> None:
    login = await browser.get(PUBLIC + "/patient/apps")
    assert_page_headers(login)
    apps = await sign_in(browser, login, "amy")
    assert urlsplit(apps.url).path == "/patient/apps"
    assert_page_headers(apps)
    assert_page_headers(await browser.get(PUBLIC + "/patient/mfa"))
    omar = await sign_in(browser, await browser.get(authorize_url()), "omar")
    assert urlsplit(omar.url).path == "/auth/mfa"
    assert_page_headers(omar)


async def test_pages_use_only_the_same_origin_stylesheet(browser: Browser) -> None:
    page = await browser.get(authorize_url())
    assert (
        'rel="stylesheet" href="https://proxy.example.org/auth/static/authorize.css"' in page.body
    )
    assert "<script" not in page.body and "style=" not in page.body
    css = await browser.client.get("/auth/static/authorize.css")
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")


async def test_the_browser_cookie_flags_on_https(browser: Browser) -> None:
    await browser.get(authorize_url(), follow=False)
    (header,) = browser.set_cookie_headers
    name, _, rest = header.partition("=")
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in rest.split(";")[1:]}
    assert name == "__Host-smart-proxy-browser"
    assert {"httponly", "secure", "samesite", "path"} <= set(attributes)
    assert attributes["samesite"] == "SameSite=Lax"
    assert attributes["path"] == "Path=/"  # required by the __Host- prefix
    assert "domain" not in attributes


async def test_the_browser_cookie_on_plain_http(make_proxy: ProxyFactory) -> None:
    browser = await make_proxy(public_url=URL("http://localhost:8080"))
    url = authorize_url(aud="http://localhost:8080/fhir").replace(PUBLIC, "")
    page = await browser.client.get(url, allow_redirects=False)
    header = page.headers["Set-Cookie"]
    assert header.startswith("smart-proxy-browser=")
    assert "Path=/auth" in header and "HttpOnly" in header and "Secure" not in header


async def test_a_transaction_id_alone_is_not_enough(
    browser: Browser, make_proxy: ProxyFactory
) -> None:
    page = await browser.get(authorize_url())
    login_url = page.url
    other = Browser(browser.client)  # same server, no cookies: another browser
    stolen = await other.get(login_url)
    assert stolen.status == 403
    assert stolen.forms == []
    form = page.form("/auth/login").fill("username", "amy").fill("password", "amy-demo-password")
    refused = await other.submit(form)
    assert refused.status == 403


async def test_unknown_and_expired_transactions(
    browser: Browser, clock: FakeClock, auth_store: StateStore
) -> None:
    unknown = await browser.get(PUBLIC + "/auth/login?tx=no-such-transaction")
    assert unknown.status == 400 and "expired" in unknown.text
    page = await browser.get(authorize_url())
    clock.advance(PENDING_TTL_S)
    assert (await browser.get(page.url)).status == 400


@pytest.mark.parametrize("auth_store", BACKENDS, indirect=True)
@pytest.mark.parametrize(("csrf", "status"), [(None, 400), ("", 400), ("wrong-token", 403)])
async def test_consent_post_without_the_csrf_token_stores_nothing(
    browser: Browser, auth_store: StateStore, csrf: str | None, status: int
) -> None:
    page = await pick(
        browser, await sign_in(browser, await browser.get(authorize_url()), "amy"), "p1"
    )
    form = page.form("/auth/consent").remove("csrf")
    if csrf is not None:
        form.add_hidden("csrf", csrf)
    refused = await browser.submit(form, ("decision", "allow"))
    assert refused.status == status and "Location" not in refused.headers
    assert await ConsentStore(auth_store).of_patient("p1") == []
    assert await auth_store.get(PENDING_NS, form.get("tx")) is not None  # still pending
    denied = await browser.submit(form, ("decision", "deny"))
    assert denied.status == status  # a forged "deny" is refused too


@pytest.mark.parametrize("step", ["/auth/login", "/auth/patient"])
async def test_every_step_checks_the_csrf_token(
    browser: Browser, auth_store: StateStore, step: str
) -> None:
    page = await browser.get(authorize_url())
    if step == "/auth/patient":
        page = await sign_in(browser, page, "amy")
    form = (
        page.form(step).add_hidden("patient", "p1") if step == "/auth/patient" else page.form(step)
    )
    if step == "/auth/login":
        form.fill("username", "amy").fill("password", "amy-demo-password")
    form.remove("csrf").add_hidden("csrf", "forged")
    assert (await browser.submit(form)).status == 403
    pending = await auth_store.get(PENDING_NS, form.get("tx"))
    assert pending["patient"] is None
    assert (pending["username"] is None) == (step == "/auth/login")


async def test_steps_cannot_be_skipped(browser: Browser) -> None:
    page = await browser.get(authorize_url())
    tx = parse_qs(urlsplit(page.url).query)["tx"][0]
    skipped = await browser.get(f"{PUBLIC}/auth/consent?tx={tx}")
    assert urlsplit(skipped.url).path == "/auth/login"
    picker = await browser.get(f"{PUBLIC}/auth/patient?tx={tx}")
    assert urlsplit(picker.url).path == "/auth/login"


async def test_hostile_registry_fields_are_escaped(make_proxy: ProxyFactory) -> None:
    browser = await make_proxy(load_registry_text(HOSTILE))
    page = await browser.get(
        authorize_url(client_id="hostile-app", scope="launch/patient patient/Patient.rs")
    )
    page = await pick(browser, await sign_in(browser, page, "amy"), "p1")
    body = page.body
    assert "<script>" not in body and "<img src=x" not in body and "<b>Inc" not in body
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; &amp; Co" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "Evil &#34;Quotes&#34; &lt;b&gt;Inc&lt;/b&gt;" in body
    assert len(page.forms) == 1  # the description's </form><form> stayed text
    assert page.images == ['https://evil.example/logo.png?"onerror="alert(2)']  # one attribute
    assert "This app has not attested to a privacy policy." in page.text
    assert "<script>alert('name')</script> & Co" in page.text


@pytest.mark.parametrize(
    ("uri", "link", "logo"),
    [
        ("https://app.example/p", True, True),
        ("http://app.example/p", True, False),
        ("javascript:alert(1)", False, False),
        ("JAVASCRIPT:alert(1)", False, False),
        ("data:image/png;base64,iVBORw0KGgo=", False, True),
        ("data:text/html,<script>", False, False),
        (None, False, False),
    ],
)
def test_only_safe_urls_become_links_or_images(uri: Any, link: bool, logo: bool) -> None:
    assert (safe_link(uri) is not None) == link
    assert (safe_logo(uri) is not None) == logo
