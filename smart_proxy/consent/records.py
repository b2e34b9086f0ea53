"""A patient's decision about one app: what it may see, until when.

Recorded when the patient presses Allow on the consent screen (regulatory.md:
consent must be specific, informed and revocable; the record keeps *what was
shown* so the decision can be explained later).  Every access token and refresh
token issued under it names its ``consent_id``; withdrawing the consent ends
them all on the next request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ConsentRecord:
    consent_id: str
    patient: str
    client_id: str
    granted_scopes: tuple[str, ...]
    created_at: float
    expires_at: float | None = None
    username: str | None = None
    withheld_labels: tuple[str, ...] = ()
    offline: bool = False
    shown: dict[str, Any] = field(default_factory=dict)
    revoked_at: float | None = None
    revoked_by: str | None = None

    def is_active(self, now: float) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["granted_scopes"] = list(self.granted_scopes)
        data["withheld_labels"] = list(self.withheld_labels)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConsentRecord:
        return cls(
            **{
                **data,
                "granted_scopes": tuple(data["granted_scopes"]),
                "withheld_labels": tuple(data.get("withheld_labels", ())),
            }
        )
