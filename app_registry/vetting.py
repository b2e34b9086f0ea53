"""Advisory checks an EHR admin sees when registering an app (``smart-proxy apps validate``).

These are findings, not errors: they never stop an app from loading or a patient
from connecting it.  Under the information-blocking rule (45 CFR 171, in
particular the security exception at 171.203) an actor may deny or suspend an app
only on objective, verifiable *security* criteria applied consistently to every
app, and ONC says vetting patient-chosen apps beyond that "would likely be an
interference".  So a missing privacy attestation or a broad scope request
*informs* -- the admin, and neutrally the patient on the consent screen -- while
actual refusals are lifecycle events (``suspended``/``revoked``) with a recorded
reason, and structural security requirements are schema errors in the loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from app_registry.models import Attestation, AttestationStatus, Audience, LaunchType, RegisteredApp
from app_registry.uris import is_loopback

#: Refresh tokens for first connections must last at least 3 months, §170.315(g)(10)(v)(A).
MIN_PATIENT_REFRESH_DAYS = 90
LONG_LIVED_REFRESH_DAYS = 365
_RESOURCE_SCOPE = re.compile(r"^(patient|user|system)/([^.]+)\.([^?]+)")


class Severity(Enum):
    INFO = "info"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One advisory note about an app; ``code`` is stable for filtering and tests."""

    code: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.code}: {self.message}"


def _writes(permissions: str) -> bool:
    """SMART v1 ``write``/``*``, or any of v2 ``c``, ``u``, ``d``."""
    if permissions in ("write", "*"):
        return True
    return permissions != "read" and bool(set(permissions) & set("cud"))


def _scope_findings(app: RegisteredApp) -> list[Finding]:
    findings = []
    for scope in app.scopes:
        match = _RESOURCE_SCOPE.match(scope)
        if match is None:
            continue
        context, resource, permissions = match.groups()
        if context == "system" and resource == "*":
            message = f"{scope} reaches every resource type for every patient; prefer named types"
            findings.append(Finding("wildcard-system-scope", Severity.WARNING, message))
        elif resource == "*":
            message = f"{scope} covers every resource type, including ones added later"
            findings.append(Finding("wildcard-resource-scope", Severity.WARNING, message))
        if app.audience is Audience.PATIENT and _writes(permissions):
            message = f"{scope} lets a patient-facing app write to the record"
            findings.append(Finding("write-scope", Severity.WARNING, message))
    if "launch" in app.scopes and not app.allows_launch(LaunchType.EHR):
        findings.append(
            Finding("launch-scope-unused", Severity.INFO, "scope 'launch' needs an ehr launch")
        )
    if "launch/patient" in app.scopes and not app.allows_launch(LaunchType.STANDALONE):
        message = "scope 'launch/patient' is for standalone launch, which the app does not register"
        findings.append(Finding("launch-scope-unused", Severity.INFO, message))
    return findings


def _attestation_findings(attestation: Attestation | None) -> list[Finding]:
    if attestation is not None and attestation.status is AttestationStatus.NOT_ATTESTED:
        message = "the app did not attest to a privacy policy; patients may be told so, neutrally"
        return [Finding("not-attested", Severity.WARNING, message)]
    if attestation is None or attestation.status is AttestationStatus.NOT_REVIEWED:
        return [
            Finding(
                "attestation-not-reviewed", Severity.INFO, "privacy attestation not reviewed yet"
            )
        ]
    return []


def _offline_findings(app: RegisteredApp) -> list[Finding]:
    days = app.token_lifetimes.refresh_token_days
    if "offline_access" not in app.scopes or days is None:
        return []
    if days > LONG_LIVED_REFRESH_DAYS:
        message = f"refresh tokens live {days} days; offline access beyond a year is long-lived"
        return [Finding("long-lived-offline-access", Severity.WARNING, message)]
    if app.audience is Audience.PATIENT and days < MIN_PATIENT_REFRESH_DAYS:
        message = (
            f"refresh tokens live {days} days; §170.315(g)(10) expects at least"
            f" {MIN_PATIENT_REFRESH_DAYS} for a patient's first connection"
        )
        return [Finding("short-refresh-token", Severity.WARNING, message)]
    return []


def vet(app: RegisteredApp) -> list[Finding]:
    """Advisory findings for one app, most specific first; an empty list means nothing to note."""
    findings: list[Finding] = []
    if app.audience is Audience.PATIENT:
        if app.privacy_policy_uri is None:
            message = "patient-facing app has no privacy_policy_uri to show on the consent screen"
            findings.append(Finding("privacy-policy-missing", Severity.WARNING, message))
        findings.extend(_attestation_findings(app.attestation))
    findings.extend(_scope_findings(app))
    findings.extend(_offline_findings(app))
    loopback = [uri for uri in app.redirect_uris if is_loopback(uri)]
    if loopback:
        listed = ", ".join(loopback)
        message = f"loopback redirect URIs ({listed}) work only for native or development apps"
        findings.append(Finding("loopback-redirect", Severity.INFO, message))
    if not app.contacts:
        message = "no contacts: developers must get advance notice of API changes (§170.404)"
        findings.append(Finding("no-contacts", Severity.INFO, message))
    return findings
