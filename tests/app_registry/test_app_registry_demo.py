"""The demo registry shipped with ``smart-proxy demo`` loads cleanly and shows each case."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app_registry import AppStatus, ClientType, LaunchType, Registry, load_registry, vet

DEMO = Path(__file__).resolve().parents[2] / "smart_proxy" / "demo" / "apps.yaml"


@pytest.fixture(scope="module")
def demo() -> Registry:
    return load_registry(DEMO)


def test_demo_registry_loads(demo: Registry) -> None:
    assert list(demo) == [
        "demo-patient-app",
        "demo-clinician-app",
        "demo-backend-service",
        "demo-pending-app",
        "demo-suspended-app",
    ]


def test_patient_app(demo: Registry) -> None:
    app = demo["demo-patient-app"]
    assert app.client_type is ClientType.PUBLIC
    assert app.launch_types == frozenset({LaunchType.STANDALONE})
    assert app.redirect_uris == ("http://127.0.0.1:9999/callback", "http://localhost:9999/callback")
    assert {"launch/patient", "openid", "fhirUser", "offline_access"} <= set(app.scopes)
    assert (
        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
        in app.scopes
    )
    assert (
        "patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item"
        in app.scopes
    )
    assert app.status_at(datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) is AppStatus.PENDING
    assert app.status_at(datetime(2026, 1, 1, tzinfo=UTC)) is AppStatus.APPROVED


def test_credentials_per_client_type(demo: Registry) -> None:
    clinician, backend = demo["demo-clinician-app"], demo["demo-backend-service"]
    assert clinician.client_type is ClientType.CONFIDENTIAL_SYMMETRIC
    assert clinician.client_secret_hash is not None and clinician.client_secret_hash.startswith(
        "scrypt$"
    )
    assert clinician.launch_uri == "http://127.0.0.1:9998/launch"
    assert backend.client_type is ClientType.CONFIDENTIAL_ASYMMETRIC
    jwks = backend.jwks
    assert jwks is not None
    (key,) = jwks["keys"]
    assert (key["kty"], key["e"], key["alg"], key["use"]) == ("RSA", "AQAB", "RS384", "sig")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_demo_rsa_key_is_a_real_public_key(demo: Registry) -> None:
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    import base64

    jwks = demo["demo-backend-service"].jwks
    assert jwks is not None
    key = jwks["keys"][0]

    def number(text: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")

    public = rsa.RSAPublicNumbers(number(key["e"]), number(key["n"])).public_key()
    assert public.key_size == 2048


@pytest.mark.parametrize(
    ("client_id", "now", "status"),
    [
        ("demo-pending-app", datetime(2026, 6, 1, tzinfo=UTC), AppStatus.PENDING),
        ("demo-suspended-app", datetime(2026, 2, 10, 9, 29, 59, tzinfo=UTC), AppStatus.APPROVED),
        ("demo-suspended-app", datetime(2026, 2, 10, 9, 30, tzinfo=UTC), AppStatus.SUSPENDED),
    ],
)
def test_lifecycle_examples(
    demo: Registry, client_id: str, now: datetime, status: AppStatus
) -> None:
    assert demo[client_id].status_at(now) is status


def test_only_three_demo_apps_are_approved_in_march_2026(demo: Registry) -> None:
    approved = demo.approved(datetime(2026, 3, 1, tzinfo=UTC))
    assert [app.client_id for app in approved] == [
        "demo-patient-app",
        "demo-clinician-app",
        "demo-backend-service",
    ]


def test_demo_vetting_shows_the_expected_notes(demo: Registry) -> None:
    codes = {client_id: [finding.code for finding in vet(app)] for client_id, app in demo.items()}
    assert codes == {
        "demo-patient-app": ["loopback-redirect"],
        "demo-clinician-app": ["loopback-redirect"],
        "demo-backend-service": [],
        "demo-pending-app": ["attestation-not-reviewed", "wildcard-resource-scope"],
        "demo-suspended-app": ["not-attested"],
    }
