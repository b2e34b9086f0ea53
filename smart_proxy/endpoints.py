"""Where the proxy's public endpoints live, derived from ``public_url``.

One place builds these URLs so that discovery documents, the CapabilityStatement
security extension and the routes can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from yarl import URL


@dataclass(frozen=True)
class Endpoints:
    public_url: URL

    @property
    def fhir_base(self) -> URL:
        return self.public_url / "fhir"

    @property
    def issuer(self) -> URL:
        return self.public_url

    @property
    def authorize(self) -> URL:
        return self.public_url / "auth" / "authorize"

    @property
    def token(self) -> URL:
        return self.public_url / "auth" / "token"

    @property
    def introspect(self) -> URL:
        return self.public_url / "auth" / "introspect"

    @property
    def revoke(self) -> URL:
        return self.public_url / "auth" / "revoke"

    @property
    def manage(self) -> URL:
        return self.public_url / "patient" / "apps"

    @property
    def jwks(self) -> URL:
        return self.public_url / ".well-known" / "jwks.json"

    @property
    def smart_style(self) -> URL:
        return self.public_url / "auth" / "smart-style.json"

    @property
    def ehr_launch(self) -> URL:
        return self.public_url / "auth" / "ehr-launch"
