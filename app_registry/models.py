"""The registered app as the rest of the proxy sees it: frozen, typed, secret-free reprs.

An app's status is never a stored flag: it is computed from its dated
``lifecycle`` at the moment asked (``status_at(now)``), so an admin can schedule a
suspension, and the audit trail of who approved or suspended it, when and why
(45 CFR 171.203 wants the reason recorded) lives in the registry itself.
Time is always passed in; nothing here reads a clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

#: ``Attestation.date`` is a field name; this alias keeps the type readable beside it.
Day = date


class AppStatus(Enum):
    """Where an app is in its lifecycle: pending -> approved -> suspended/revoked."""

    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class ClientType(Enum):
    """SMART client types; RFC 6749 §2.1 public vs confidential, plus how it authenticates."""

    PUBLIC = "public"
    CONFIDENTIAL_SYMMETRIC = "confidential-symmetric"  # client_secret_basic / _post
    CONFIDENTIAL_ASYMMETRIC = "confidential-asymmetric"  # private_key_jwt (RFC 7523)


class LaunchType(Enum):
    """SMART ``launch-ehr``, ``launch-standalone``, and Backend Services."""

    EHR = "ehr"
    STANDALONE = "standalone"
    BACKEND = "backend"


class Audience(Enum):
    """Who the app serves; drives consent screens and vetting."""

    PATIENT = "patient"
    CLINICIAN = "clinician"
    SYSTEM = "system"


class AttestationStatus(Enum):
    ATTESTED = "attested"
    NOT_ATTESTED = "not-attested"
    NOT_REVIEWED = "not-reviewed"


@dataclass(frozen=True)
class Publisher:
    name: str
    url: str | None = None


@dataclass(frozen=True)
class Attestation:
    """The app's privacy attestation (CARIN code of conduct, ONC MPN, CMS text).

    Shown neutrally on the consent screen; it informs the patient, it never blocks.
    """

    status: AttestationStatus
    by: str | None = None
    date: Day | None = None
    url: str | None = None


@dataclass(frozen=True)
class LifecycleEvent:
    """One dated decision about the app; ``reason`` is required for suspend/revoke."""

    status: AppStatus
    at: datetime
    by: str
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("LifecycleEvent.at must be timezone-aware")


@dataclass(frozen=True)
class RateLimit:
    requests_per_minute: int | None = None
    burst: int | None = None
    per_patient_per_minute: int | None = None


@dataclass(frozen=True)
class BulkExport:
    """What a backend service may export (FHIR Bulk Data): these Groups, or every patient.

    Nothing by default: an admin names the Groups (or opts in to system-level and
    ``Patient/$export``) when vetting the service.
    """

    groups: frozenset[str] = frozenset()
    all_patients: bool = False


@dataclass(frozen=True)
class TokenLifetimes:
    """Per-app lifetimes within the schema's safe bounds; None means the server default."""

    access_token_seconds: int | None = None
    authorization_code_seconds: int | None = None
    refresh_token_days: int | None = None


@dataclass(frozen=True, repr=False)
class RegisteredApp:
    """One vetted client of the authorization server (SMART "Register App with EHR")."""

    client_id: str
    name: str
    client_type: ClientType
    audience: Audience
    launch_types: frozenset[LaunchType]
    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...] = ()
    launch_uri: str | None = None
    client_secret_hash: str | None = None
    jwks_json: str | None = None
    jwks_uri: str | None = None
    publisher: Publisher | None = None
    description: str | None = None
    logo_uri: str | None = None
    homepage_uri: str | None = None
    privacy_policy_uri: str | None = None
    tos_uri: str | None = None
    contacts: tuple[str, ...] = ()
    rate_limit: RateLimit = field(default_factory=RateLimit)
    token_lifetimes: TokenLifetimes = field(default_factory=TokenLifetimes)
    bulk_export: BulkExport = field(default_factory=BulkExport)
    attestation: Attestation | None = None
    lifecycle: tuple[LifecycleEvent, ...] = ()
    source: str = ""

    @property
    def jwks(self) -> dict[str, Any] | None:
        """A fresh copy of the inline public JWKS (the stored form is immutable JSON text)."""
        return None if self.jwks_json is None else json.loads(self.jwks_json)

    @property
    def is_confidential(self) -> bool:
        return self.client_type is not ClientType.PUBLIC

    def current_event(self, now: datetime) -> LifecycleEvent | None:
        """The latest event dated at or before ``now`` (a later-listed event wins ties)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        past = [
            (event.at, index, event)
            for index, event in enumerate(self.lifecycle)
            if event.at <= now
        ]
        return max(past, key=lambda item: (item[0], item[1]))[2] if past else None

    def status_at(self, now: datetime) -> AppStatus:
        """Status at ``now``; no events, or only future ones, means pending."""
        event = self.current_event(now)
        return AppStatus.PENDING if event is None else event.status

    def is_approved(self, now: datetime) -> bool:
        return self.status_at(now) is AppStatus.APPROVED

    def check_redirect_uri(self, uri: object) -> bool:
        """Exact, case-sensitive string match against ``redirect_uris``.

        SMART App Launch: the ``redirect_uri`` "must match one of the client's
        pre-registered redirect URIs"; no prefix, case, port or trailing-slash
        leniency.  Unlike RFC 8252 §7.3 a loopback port is not a wildcard: an app
        registers each port it uses.
        """
        return isinstance(uri, str) and uri in self.redirect_uris

    def allows_launch(self, kind: LaunchType | str) -> bool:
        """Whether the app registered this launch type; unknown names raise ValueError."""
        return LaunchType(kind) in self.launch_types

    def __repr__(self) -> str:
        credential = {
            ClientType.PUBLIC: "none",
            ClientType.CONFIDENTIAL_SYMMETRIC: "secret-hash",
            ClientType.CONFIDENTIAL_ASYMMETRIC: "jwks_uri" if self.jwks_uri else "jwks",
        }[self.client_type]
        kinds = ",".join(sorted(kind.value for kind in self.launch_types))
        return (
            f"RegisteredApp(client_id={self.client_id!r}, name={self.name!r}, "
            f"client_type={self.client_type.value!r}, credential={credential!r}, "
            f"audience={self.audience.value!r}, launch_types={kinds!r}, "
            f"scopes={len(self.scopes)}, lifecycle_events={len(self.lifecycle)})"
        )

    __str__ = __repr__
