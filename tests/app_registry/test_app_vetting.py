"""vet(): advisory findings for admins; they never block (45 CFR 171)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from app_registry import (
    Attestation,
    AttestationStatus,
    Audience,
    ClientType,
    Finding,
    LaunchType,
    RegisteredApp,
    Severity,
    TokenLifetimes,
    vet,
)

MakeApp = Callable[..., RegisteredApp]
ATTESTED = Attestation(AttestationStatus.ATTESTED, "CARIN", date(2025, 11, 1))
BACKEND = {
    "client_type": ClientType.CONFIDENTIAL_ASYMMETRIC,
    "audience": Audience.SYSTEM,
    "launch_types": frozenset({LaunchType.BACKEND}),
    "redirect_uris": (),
    "jwks_uri": "https://svc.example/jwks",
}


def test_a_tidy_attested_patient_app_has_no_findings(make_app: MakeApp) -> None:
    assert vet(make_app(attestation=ATTESTED)) == []


W, I = Severity.WARNING, Severity.INFO


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"privacy_policy_uri": None},
            [
                Finding(
                    "privacy-policy-missing",
                    W,
                    "patient-facing app has no privacy_policy_uri to show on the consent screen",
                )
            ],
        ),
        (
            {"attestation": Attestation(AttestationStatus.NOT_ATTESTED)},
            [
                Finding(
                    "not-attested",
                    W,
                    "the app did not attest to a privacy policy; patients may be told so, neutrally",
                )
            ],
        ),
        (
            {"attestation": None},
            [Finding("attestation-not-reviewed", I, "privacy attestation not reviewed yet")],
        ),
        (
            {"attestation": Attestation(AttestationStatus.NOT_REVIEWED)},
            [Finding("attestation-not-reviewed", I, "privacy attestation not reviewed yet")],
        ),
        (
            {"scopes": ("patient/*.*",)},
            [
                Finding(
                    "wildcard-resource-scope",
                    W,
                    "patient/*.* covers every resource type, including ones added later",
                ),
                Finding(
                    "write-scope", W, "patient/*.* lets a patient-facing app write to the record"
                ),
            ],
        ),
        (
            {"scopes": ("patient/*.rs",)},
            [
                Finding(
                    "wildcard-resource-scope",
                    W,
                    "patient/*.rs covers every resource type, including ones added later",
                )
            ],
        ),
        (
            {"scopes": ("patient/Observation.write",)},
            [
                Finding(
                    "write-scope",
                    W,
                    "patient/Observation.write lets a patient-facing app write to the record",
                )
            ],
        ),
        (
            {"scopes": ("patient/Observation.cruds", "patient/Condition.u", "patient/Patient.rs")},
            [
                Finding(
                    "write-scope",
                    W,
                    "patient/Observation.cruds lets a patient-facing app write to the record",
                ),
                Finding(
                    "write-scope",
                    W,
                    "patient/Condition.u lets a patient-facing app write to the record",
                ),
            ],
        ),
        (
            {"scopes": ("patient/Observation.read", "patient/Observation.rs?category=laboratory")},
            [],
        ),
        (
            {**BACKEND, "scopes": ("system/*.rs", "system/Patient.rs")},
            [
                Finding(
                    "wildcard-system-scope",
                    W,
                    "system/*.rs reaches every resource type for every patient; prefer named types",
                )
            ],
        ),
        (
            {**BACKEND, "scopes": ("system/*.*",)},
            [
                Finding(
                    "wildcard-system-scope",
                    W,
                    "system/*.* reaches every resource type for every patient; prefer named types",
                )
            ],
        ),
        (
            {
                "audience": Audience.CLINICIAN,
                "attestation": None,
                "scopes": ("user/Observation.cruds",),
            },
            [],
        ),
        (
            {
                "scopes": ("offline_access",),
                "token_lifetimes": TokenLifetimes(refresh_token_days=400),
            },
            [
                Finding(
                    "long-lived-offline-access",
                    W,
                    "refresh tokens live 400 days; offline access beyond a year is long-lived",
                )
            ],
        ),
        (
            {
                "scopes": ("offline_access",),
                "token_lifetimes": TokenLifetimes(refresh_token_days=30),
            },
            [
                Finding(
                    "short-refresh-token",
                    W,
                    "refresh tokens live 30 days; §170.315(g)(10) expects at least 90 for a patient's first connection",
                )
            ],
        ),
        (
            {
                "scopes": ("offline_access",),
                "token_lifetimes": TokenLifetimes(refresh_token_days=90),
            },
            [],
        ),
        (
            {
                "scopes": ("offline_access",),
                "token_lifetimes": TokenLifetimes(refresh_token_days=365),
            },
            [],
        ),
        ({"scopes": ("openid",), "token_lifetimes": TokenLifetimes(refresh_token_days=700)}, []),
        (
            {
                "audience": Audience.CLINICIAN,
                "scopes": ("offline_access",),
                "token_lifetimes": TokenLifetimes(refresh_token_days=30),
            },
            [],
        ),
        (
            {"scopes": ("launch",)},
            [Finding("launch-scope-unused", I, "scope 'launch' needs an ehr launch")],
        ),
        (
            {"scopes": ("launch/patient",), "launch_types": frozenset({LaunchType.EHR})},
            [
                Finding(
                    "launch-scope-unused",
                    I,
                    "scope 'launch/patient' is for standalone launch, which the app does not register",
                )
            ],
        ),
        (
            {
                "redirect_uris": (
                    "http://127.0.0.1:9999/cb",
                    "https://viewer.example/cb",
                    "http://localhost:1/cb",
                )
            },
            [
                Finding(
                    "loopback-redirect",
                    I,
                    "loopback redirect URIs (http://127.0.0.1:9999/cb, http://localhost:1/cb) work only for native or development apps",
                )
            ],
        ),
        (
            {"contacts": ()},
            [
                Finding(
                    "no-contacts",
                    I,
                    "no contacts: developers must get advance notice of API changes (§170.404)",
                )
            ],
        ),
    ],
)
def test_findings(make_app: MakeApp, overrides: dict[str, object], expected: list[Finding]) -> None:
    app = make_app(**{"attestation": ATTESTED, **overrides})
    assert vet(app) == expected


def test_findings_accumulate_in_a_stable_order(make_app: MakeApp) -> None:
    app = make_app(
        privacy_policy_uri=None, attestation=None, scopes=("patient/*.write",), contacts=()
    )
    assert [finding.code for finding in vet(app)] == [
        "privacy-policy-missing",
        "attestation-not-reviewed",
        "wildcard-resource-scope",
        "write-scope",
        "no-contacts",
    ]


def test_finding_str() -> None:
    finding = Finding("write-scope", Severity.WARNING, "x lets ...")
    assert str(finding) == "warning: write-scope: x lets ..."
