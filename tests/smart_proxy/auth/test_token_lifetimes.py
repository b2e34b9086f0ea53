"""Pure pieces of the token side: lifetimes, JWKS cache lifetime, id_token helpers, errors."""

from __future__ import annotations

import pytest
from yarl import URL

from app_registry import Audience, ClientType, LaunchType, RegisteredApp, TokenLifetimes
from smart_proxy.auth.client_jwks import DEFAULT_TTL_S, MAX_TTL_S, cache_lifetime
from smart_proxy.auth.id_token import fhir_user_url, subject_of
from smart_proxy.auth.lifetimes import (
    DAY_S,
    ONLINE_REFRESH_S,
    access_token_seconds,
    backend_token_seconds,
    code_seconds,
    refresh_expiry,
)
from smart_proxy.auth.oauth_errors import InvalidGrant
from smart_proxy.auth.token_issuance import launch_context
from smart_proxy.endpoints import Endpoints

NOW = 1_000_000.0


def app(**lifetimes: int) -> RegisteredApp:
    return RegisteredApp(
        client_id="an-app", name="An App", client_type=ClientType.PUBLIC,
        audience=Audience.PATIENT, launch_types=frozenset({LaunchType.STANDALONE}),
        scopes=("offline_access",), token_lifetimes=TokenLifetimes(**lifetimes),
    )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, DEFAULT_TTL_S),
        ("public", DEFAULT_TTL_S),
        ("max-age=120", 120.0),
        ("public, max-age=120, must-revalidate", 120.0),
        ('max-age="45"', 45.0),
        ("MAX-AGE=7", 7.0),
        ("max-age=0", 0.0),
        ("max-age=99999999", MAX_TTL_S),
        ("no-store", 0.0),
        ("no-cache", 0.0),
        ("max-age=600, no-cache", 0.0),
        ("private, no-store, max-age=600", 0.0),
    ],
)
def test_jwks_cache_lifetime(header: str | None, seconds: float) -> None:
    assert cache_lifetime(header) == seconds


@pytest.mark.parametrize(
    ("lifetimes", "access", "backend", "code"),
    [({}, 3600, 300, 60), ({"access_token_seconds": 900, "authorization_code_seconds": 30},
      900, 300, 30), ({"access_token_seconds": 120}, 120, 120, 60)],
)
def test_token_and_code_lifetimes(
    lifetimes: dict[str, int], access: int, backend: int, code: int
) -> None:
    registered = app(**lifetimes)
    assert access_token_seconds(registered) == access
    assert backend_token_seconds(registered) == backend
    assert code_seconds(registered) == code


@pytest.mark.parametrize(
    ("scopes", "lifetimes", "previous", "consent", "expected"),
    [
        (("offline_access",), {}, None, None, NOW + 90 * DAY_S),
        (("offline_access",), {}, NOW + 5, None, NOW + 90 * DAY_S),  # renewed
        (("offline_access",), {"refresh_token_days": 365}, None, None, NOW + 365 * DAY_S),
        (("offline_access",), {}, None, NOW + 10 * DAY_S, NOW + 10 * DAY_S),
        (("online_access",), {}, None, None, NOW + ONLINE_REFRESH_S),
        (("online_access",), {}, NOW + 5, None, NOW + 5),  # not renewed
        (("online_access", "offline_access"), {}, NOW + 5, None, NOW + 90 * DAY_S),
        (("online_access",), {}, None, NOW + 60, NOW + 60),
    ],
)
def test_refresh_expiry(
    scopes: tuple[str, ...],
    lifetimes: dict[str, int],
    previous: float | None,
    consent: float | None,
    expected: float,
) -> None:
    result = refresh_expiry(
        app(**lifetimes), scopes, NOW, previous_expiry=previous, consent_expiry=consent
    )
    assert result == expected


@pytest.mark.parametrize(
    ("fhir_user", "url"),
    [
        ("Patient/p1", "https://proxy.example.org/fhir/Patient/p1"),
        ("/Practitioner/d1", "https://proxy.example.org/fhir/Practitioner/d1"),
        ("https://other.example/fhir/Person/x", "https://other.example/fhir/Person/x"),
    ],
)
def test_fhir_user_is_an_absolute_url(fhir_user: str, url: str) -> None:
    assert fhir_user_url(URL("https://proxy.example.org/fhir"), fhir_user) == url


@pytest.mark.parametrize(
    ("username", "fhir_user", "subject"),
    [("alice", "Patient/p1", "alice"), (None, "Patient/p1", "Patient/p1"),
     ("a" * 256, "Patient/p1", "Patient/p1"), (None, None, None), ("", None, None)],
)
def test_subject(username: str | None, fhir_user: str | None, subject: str | None) -> None:
    assert subject_of(username, fhir_user) == subject


@pytest.mark.parametrize(
    ("patient", "encounter", "banner", "fields"),
    [
        (None, None, None, {}),
        ("p1", None, None, {"patient": "p1", "need_patient_banner": True}),
        ("p1", "e1", False, {"patient": "p1", "encounter": "e1", "need_patient_banner": False}),
        (None, None, False, {"need_patient_banner": False}),
    ],
)
def test_launch_context(
    patient: str | None, encounter: str | None, banner: bool | None, fields: dict[str, object]
) -> None:
    endpoints = Endpoints(URL("https://proxy.example.org"))
    style = {"smart_style_url": "https://proxy.example.org/auth/smart-style.json"} if fields else {}
    assert launch_context(endpoints, patient, encounter, banner) == {**fields, **style}


def test_error_descriptions_keep_only_rfc6749_characters() -> None:
    error = InvalidGrant('bad "code"\\ é\nhere')
    assert error.description == "bad code here"
    assert error.response().status == 400
