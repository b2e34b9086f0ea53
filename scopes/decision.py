"""What the policy concludes about one FHIR call: a value, applied by the plumbing.

``Decision.reason`` is machine-readable (audit records carry it); ``status``
maps it to the HTTP answer the proxy gives.  SMART App Launch 2.2 and RFC 6750
§3.1: a missing scope is ``403 insufficient_scope``; a refused parameter or
interaction the gatekeeper cannot prove safe is ``400``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Reason(Enum):
    ALLOWED = "allowed"
    PUBLIC = "public"
    INSUFFICIENT_SCOPE = "insufficient-scope"
    NO_CONTEXT = "no-launch-context"
    UNSUPPORTED = "unsupported-interaction"

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS = {
    Reason.ALLOWED: 200,
    Reason.PUBLIC: 200,
    Reason.INSUFFICIENT_SCOPE: 403,
    Reason.NO_CONTEXT: 403,
    Reason.UNSUPPORTED: 400,
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    message: str = ""

    @property
    def status(self) -> int:
        return self.reason.status


def allow(reason: Reason = Reason.ALLOWED) -> Decision:
    return Decision(True, reason)


def deny(reason: Reason, message: str) -> Decision:
    return Decision(False, reason, message)
