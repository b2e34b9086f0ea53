"""What the authorization server remembers between the steps of a launch.

Three records, each kept in the state store under its own namespace and TTL:

* :class:`PendingAuthorization` — created by ``/auth/authorize`` once the client
  and redirect URI are trusted; carries the request through login, MFA, patient
  picker and consent.  Keyed by an unguessable transaction id, never by a cookie
  alone (SMART 2.2 allows the authorize request to arrive as a cross-site POST).
* :class:`AuthorizationCode` — issued after consent; single-use and short-lived
  (SMART App Launch 2.2 §"Obtain authorization code", RFC 6749 §4.1.2: "a maximum
  authorization code lifetime of 10 minutes is RECOMMENDED"; we use 60 s).
* :class:`RefreshRecord` — one refresh token (hashed) of a rotation family.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self

PENDING_NS = "authz"
CODE_NS = "code"
REFRESH_NS = "refresh"
FAMILY_NS = "refresh_family"
LAUNCH_NS = "launch"

PENDING_TTL_S = 15 * 60
CODE_TTL_S = 60


class _Record:
    def to_json(self) -> dict[str, Any]:
        data = asdict(self)  # type: ignore[call-overload]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        values = {}
        for name, value in data.items():
            if name in known:
                values[name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


@dataclass(frozen=True)
class LaunchContext(_Record):
    """EHR launch context bound to a ``launch`` id (SMART 2.2 §"EHR Launch").

    Stored under :data:`LAUNCH_NS` keyed by ``token_digest(launch_id)``; taken
    (single use) by ``/auth/authorize``.
    """

    launch_id: str
    patient: str | None = None
    encounter: str | None = None
    fhir_user: str | None = None
    client_id: str | None = None
    need_patient_banner: bool = True
    intent: str | None = None
    expires_at: float = 0.0


@dataclass(frozen=True)
class PendingAuthorization(_Record):
    tx_id: str
    client_id: str
    redirect_uri: str
    state: str
    scope_requested: str
    scopes_offered: tuple[str, ...]
    code_challenge: str
    csrf: str
    created_at: float
    nonce: str | None = None
    launch: dict[str, Any] | None = None
    username: str | None = None
    fhir_user: str | None = None
    auth_time: float | None = None
    mfa_passed: bool = False
    patient: str | None = None
    encounter: str | None = None
    browser: str = ""  # SHA-256 of the browser-binding cookie set at /auth/authorize
    patients: tuple[str, ...] = ()  # whom the signed-in user may act for
    aud: str | None = None


@dataclass(frozen=True)
class AuthorizationCode(_Record):
    client_id: str
    redirect_uri: str
    code_challenge: str
    scopes: tuple[str, ...]
    issued_at: float
    username: str | None = None
    fhir_user: str | None = None
    patient: str | None = None
    encounter: str | None = None
    nonce: str | None = None
    consent_id: str | None = None
    auth_time: float | None = None
    need_patient_banner: bool | None = None
    issued_tokens: tuple[str, ...] = field(default_factory=tuple)
    code_challenge_method: str = "S256"
    aud: str | None = None


@dataclass(frozen=True)
class RefreshRecord(_Record):
    family: str
    client_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    username: str | None = None
    fhir_user: str | None = None
    patient: str | None = None
    encounter: str | None = None
    consent_id: str | None = None
    auth_time: float | None = None
    need_patient_banner: bool | None = None
