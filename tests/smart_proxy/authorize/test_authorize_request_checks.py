"""``/auth/authorize`` request validation: smart-conformance.md §3 items 22-34 and §16 item 145."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from app_registry import load_registry_text
from smart_proxy.auth.records import PENDING_NS

from .authz_browser import PUBLIC, Browser, Page
from .authz_flow import allow, pick, redirect_params, sign_in
from .conftest import (
    CHALLENGE,
    CLINICIAN_APP,
    CLINICIAN_REDIRECT,
    FHIR_BASE,
    PATIENT_APP,
    PATIENT_REDIRECT,
    ProxyFactory,
    authorize_url,
)

SINGLE_REDIRECT = "https://app.example/cb?tenant=a%20b&x=1"
ODD_STATE = "a b+c&d=e/%25?#é😀<>'\"\\;,"
SINGLE_REDIRECT_APP = f"""
apps:
  - client_id: single-redirect-app
    name: Single Redirect App
    publisher: {{name: Example Co, url: https://app.example/}}
    privacy_policy_uri: https://app.example/privacy
    contacts: [dev@app.example]
    client_type: public
    audience: patient
    launch_types: [standalone]
    redirect_uris: ["{SINGLE_REDIRECT}"]
    scopes: [launch/patient, openid, fhirUser, patient/Patient.rs]
    lifecycle:
      - {{status: approved, date: 2026-01-01, by: admin@ehr.example}}
"""


def assert_no_redirect(page: Page) -> None:
    assert page.status == 400
    assert "Location" not in page.headers
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.history == []


# --- item 24: client and redirect_uri first, never a redirect ---------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "no-such-app"},
        {"client_id": None},
        {"client_id": ""},
        {"client_id": "demo-pending-app", "redirect_uri": "com.example.pocketphr:/oauth2redirect"},
        {
            "client_id": "demo-suspended-app",
            "redirect_uri": "https://quick-records.example/oauth/callback",
        },
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": PATIENT_REDIRECT + "/"},
        {"redirect_uri": PATIENT_REDIRECT.upper()},
        {"redirect_uri": "http://127.0.0.1:9998/callback"},
        {"redirect_uri": None},  # two are registered: none may be assumed
    ],
    ids=[
        "unknown",
        "missing",
        "empty",
        "pending",
        "suspended",
        "foreign-redirect",
        "trailing-slash",
        "case",
        "other-port",
        "ambiguous-default",
    ],
)
async def test_untrusted_client_or_redirect_is_a_400_page_never_a_redirect(
    browser: Browser, changes: dict[str, Any]
) -> None:
    page = await browser.get(
        authorize_url(response_type="token", aud="https://x.example", **changes)
    )
    assert_no_redirect(page)
    assert "This app cannot connect" in page.text
    assert page.forms == []


async def test_repeated_client_id_or_redirect_uri_is_a_400_page(browser: Browser) -> None:
    for name, value in (("client_id", PATIENT_APP), ("redirect_uri", PATIENT_REDIRECT)):
        page = await browser.get(authorize_url() + "&" + urlencode({name: value}))
        assert_no_redirect(page)


async def test_the_only_registered_redirect_uri_is_the_default(make_proxy: ProxyFactory) -> None:
    browser = await make_proxy(load_registry_text(SINGLE_REDIRECT_APP))
    page = await browser.get(
        authorize_url(client_id="single-redirect-app", redirect_uri=None, scope="launch/patient"),
        follow=False,
    )
    assert page.status == 303
    assert page.location is not None and page.location.startswith(PUBLIC + "/auth/login?tx=")


async def test_error_redirect_keeps_the_registered_query_exactly(make_proxy: ProxyFactory) -> None:
    browser = await make_proxy(load_registry_text(SINGLE_REDIRECT_APP))
    page = await browser.get(
        authorize_url(
            client_id="single-redirect-app", redirect_uri=SINGLE_REDIRECT, aud=None, state="s"
        )
    )
    assert page.status == 302
    assert page.location is not None
    assert page.location.startswith(SINGLE_REDIRECT + "&error=invalid_request&")
    params = parse_qs(urlsplit(page.location).query)
    assert params["tenant"] == ["a b"] and params["x"] == ["1"] and params["state"] == ["s"]


async def test_the_code_redirect_keeps_the_registered_query_exactly(
    make_proxy: ProxyFactory,
) -> None:
    browser = await make_proxy(load_registry_text(SINGLE_REDIRECT_APP))
    url = authorize_url(
        client_id="single-redirect-app",
        redirect_uri=None,
        scope="launch/patient patient/Patient.rs",
        state=ODD_STATE,
    )
    page = await pick(browser, await sign_in(browser, await browser.get(url), "amy"), "p1")
    done = await allow(browser, page)
    assert done.location is not None and done.location.startswith(SINGLE_REDIRECT + "&code=")
    params = parse_qs(urlsplit(done.location).query)
    assert params["tenant"] == ["a b"] and params["x"] == ["1"]
    assert params["state"] == [ODD_STATE] and "error" not in params


# --- items 25-27, 32-34: errors go back to the app with the exact state -------------------


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"aud": "https://inferno.healthit.gov/invalid_aud"}, "invalid_request"),
        ({"aud": "https://proxy.example.org/fhir/other"}, "invalid_request"),
        ({"aud": "https://proxy.example.org"}, "invalid_request"),
        ({"aud": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "S512"}, "invalid_request"),
        ({"code_challenge_method": "s256"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"code_challenge": CHALLENGE[:-1] + "="}, "invalid_request"),
        ({"code_challenge": "a" * 129}, "invalid_request"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "patient/Nope.xyz bogus"}, "invalid_scope"),
        ({"scope": "system/Patient.rs user/Patient.rs"}, "invalid_scope"),
        ({"launch": "not-a-launch-we-issued"}, "unauthorized_client"),
        ({"nonce": "n" * 513}, "invalid_request"),
    ],
)
async def test_each_error_goes_back_with_the_exact_state(
    browser: Browser, auth_store: Any, changes: dict[str, Any], error: str
) -> None:
    page = await browser.get(authorize_url(state=ODD_STATE, **changes))
    params = redirect_params(page)
    assert page.location is not None and page.location.startswith(PATIENT_REDIRECT + "?")
    assert params["error"] == [error]
    assert params["state"] == [ODD_STATE]
    assert params["error_description"][0]
    assert "code" not in params
    assert not any(name.startswith("__Host-") for name in browser.cookies)  # no transaction


async def test_unknown_launch_for_an_ehr_app_is_invalid_request(browser: Browser) -> None:
    page = await browser.get(
        authorize_url(
            client_id=CLINICIAN_APP,
            redirect_uri=CLINICIAN_REDIRECT,
            scope="launch openid user/Patient.rs",
            launch="made-up",
            state="s",
        )
    )
    params = redirect_params(page)
    assert (params["error"], params["state"]) == (["invalid_request"], ["s"])


async def test_missing_state_is_invalid_request_without_a_state(browser: Browser) -> None:
    params = redirect_params(await browser.get(authorize_url(state=None)))
    assert params["error"] == ["invalid_request"]
    assert "state" not in params


@pytest.mark.parametrize("name", ["scope", "aud", "code_challenge", "response_type", "launch"])
async def test_a_repeated_parameter_is_invalid_request(browser: Browser, name: str) -> None:
    url = authorize_url(state="s1") + "&" + urlencode({name: "x"})
    if name == "launch":
        url += "&launch=y"
    params = redirect_params(await browser.get(url))
    assert params["error"] == ["invalid_request"]
    assert params["state"] == ["s1"]
    assert name in params["error_description"][0]


async def test_a_repeated_state_is_not_echoed(browser: Browser) -> None:
    params = redirect_params(await browser.get(authorize_url(state="s1") + "&state=s2"))
    assert params["error"] == ["invalid_request"]
    assert "state" not in params


async def test_an_ehr_only_app_cannot_launch_standalone(browser: Browser) -> None:
    page = await browser.get(
        authorize_url(
            client_id=CLINICIAN_APP,
            redirect_uri=CLINICIAN_REDIRECT,
            scope="openid user/Patient.rs",
            state="s",
        )
    )
    assert redirect_params(page)["error"] == ["unauthorized_client"]


@pytest.mark.parametrize("aud", [FHIR_BASE + "/", "HTTPS://PROXY.EXAMPLE.ORG/fhir", FHIR_BASE])
async def test_aud_is_compared_normalised(browser: Browser, aud: str) -> None:
    page = await browser.get(authorize_url(aud=aud), follow=False)
    assert page.status == 303
    assert page.location is not None and page.location.startswith(PUBLIC + "/auth/login?tx=")


# --- item 22: GET and POST alike ----------------------------------------------------------


def _form_of(url: str) -> list[tuple[str, str]]:
    return [(k, v) for k, values in parse_qs(urlsplit(url).query).items() for v in values]


async def test_post_has_the_same_semantics_as_get(browser: Browser, auth_store: Any) -> None:
    page = await browser.post(PUBLIC + "/auth/authorize", _form_of(authorize_url()), follow=False)
    assert page.status == 303
    tx = parse_qs(urlsplit(page.location or "").query)["tx"][0]
    assert await auth_store.get(PENDING_NS, tx) is not None
    bad = await browser.post(
        PUBLIC + "/auth/authorize",
        _form_of(authorize_url(aud="https://evil.example/fhir", state="p")),
    )
    assert redirect_params(bad)["error"] == ["invalid_request"]
    assert redirect_params(bad)["state"] == ["p"]


async def test_post_that_is_not_a_form_is_a_400_page(browser: Browser) -> None:
    response = await browser.client.post(
        "/auth/authorize", json={"client_id": PATIENT_APP}, allow_redirects=False
    )
    assert response.status == 400
    assert "Location" not in response.headers


async def test_unrequested_and_unknown_scopes_are_dropped_not_fatal(
    browser: Browser, auth_store: Any
) -> None:
    page = await browser.get(
        authorize_url(scope="openid patient/Patient.rs patient/Encounter.rs patient/Bad.xyz"),
        follow=False,
    )
    tx = parse_qs(urlsplit(page.location or "").query)["tx"][0]
    pending = await auth_store.get(PENDING_NS, tx)
    assert pending["scopes_offered"] == ["openid", "patient/Patient.rs"]
    assert (
        pending["scope_requested"]
        == "openid patient/Patient.rs patient/Encounter.rs patient/Bad.xyz"
    )
