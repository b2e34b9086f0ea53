"""The validated configuration, as frozen values.

Secrets are wrapped in :class:`Secret` so that no ``repr``, log line or error
message ever prints them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

from yarl import URL

from scopes.membership import DEFAULT_SHARED_TYPES


@dataclass(frozen=True)
class Secret:
    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True)
class UpstreamAuth:
    """The proxy's own credential for the upstream FHIR server (never the app's)."""

    kind: str = "none"
    credential: Secret | None = None

    def authorization_header(self) -> str | None:
        if self.kind == "bearer" and self.credential is not None:
            return f"Bearer {self.credential.value}"
        if self.kind == "basic" and self.credential is not None:
            return "Basic " + base64.b64encode(self.credential.value.encode()).decode("ascii")
        return None


@dataclass(frozen=True)
class UpstreamConfig:
    url: URL
    timeout_s: float = 30.0
    connect_timeout_s: float = 5.0
    max_connections: int = 100
    auth: UpstreamAuth = UpstreamAuth()


@dataclass(frozen=True)
class Limits:
    max_request_body_bytes: int = 16 * 1024 * 1024
    max_inspected_body_bytes: int = 128 * 1024 * 1024


@dataclass(frozen=True)
class PolicyConfig:
    """Deployment choices the policy reads: which reference types outside the Patient
    compartment a ``patient/`` scope may read (peer-gateways (c) 23)."""

    shared_types: frozenset[str] = DEFAULT_SHARED_TYPES


@dataclass(frozen=True)
class AuditConfig:
    sink: str = "file"
    path: Path | None = None


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: Secret | None = None
    fhir_user_claim: str = "fhirUser"
    scopes: tuple[str, ...] = ("openid", "profile", "email")


@dataclass(frozen=True)
class IdentityConfig:
    local_users: Path | None = None
    oidc: OidcConfig | None = None


@dataclass(frozen=True)
class EhrLaunchConfig:
    """The EHR's own credential for creating launch contexts (stored hashed)."""

    credential_hash: str = field(repr=False)
    ttl_s: int = 300


@dataclass(frozen=True)
class Config:
    public_url: URL
    upstream: UpstreamConfig
    apps: Path
    state: str = "memory"
    host: str = "127.0.0.1"
    port: int = 8080
    limits: Limits = Limits()
    policy: PolicyConfig = PolicyConfig()
    audit: AuditConfig = AuditConfig()
    identity: IdentityConfig = IdentityConfig()
    signing_key: Path | None = None
    ehr_launch: EhrLaunchConfig | None = None
    source: Path | None = None

    @property
    def fhir_base(self) -> URL:
        """``public_url`` + ``/fhir`` (DESIGN.md contract)."""
        return self.public_url / "fhir"

    @property
    def is_https(self) -> bool:
        return self.public_url.scheme == "https"
