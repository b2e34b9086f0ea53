"""What the policy concludes about one FHIR call: a value, applied by the plumbing.

``Decision.reason`` is machine-readable (audit records carry it); ``status``
maps it to the HTTP answer the proxy gives (SMART App Launch 2.2, RFC 6750 §3.1,
FHIR R4 security.html#AccessDenied):

- ``403 insufficient_scope``: the type or interaction is not granted.  Decided from
  the grant alone, so it reveals nothing about data.
- ``404``: "absent" and "not this patient's" alike (``not_found``), answered without
  calling upstream whenever the request itself names another patient.
- ``400``: a parameter, operation or interaction no rule proves safe.
- ``200`` with ``mutations.empty_result``: a search naming another patient is answered
  with an empty searchset, the same answer a search that matches nothing gets.

An allowed decision is only safe when the plumbing applies *all* of it: the upstream
query is ``mutations.params`` (never the app's own), ``post_checks`` run on every
resource of the answer (and, for writes, on the body and the stored version), and
``requires_stored_read`` / ``body_rule`` run before the write is forwarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from scopes.scopeset import FilterUnion

Params = tuple[tuple[str, str], ...]

# The body rule for writes under a patient grant: the resource must be in the compartment of
# ``post_checks.confine_to_patient`` and *every* Patient reference in it (contained resources
# and transaction-internal references included) must name that patient.
ALL_PATIENT_REFS_MUST_BE_P = "all-patient-refs-must-be-P"


class Reason(Enum):
    ALLOWED = "allowed"
    PUBLIC = "public"
    EMPTY_RESULT = "empty-result"
    INSUFFICIENT_SCOPE = "insufficient-scope"
    NO_CONTEXT = "no-launch-context"
    PATIENT_RECORD_WRITE = "patient-record-write"
    NOT_FOUND = "not-found"
    UNSUPPORTED = "unsupported-interaction"
    REFUSED_PARAMETER = "refused-parameter"

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS = {
    Reason.ALLOWED: 200,
    Reason.PUBLIC: 200,
    Reason.EMPTY_RESULT: 200,
    Reason.INSUFFICIENT_SCOPE: 403,
    Reason.NO_CONTEXT: 403,
    Reason.PATIENT_RECORD_WRITE: 403,
    Reason.NOT_FOUND: 404,
    Reason.UNSUPPORTED: 400,
    Reason.REFUSED_PARAMETER: 400,
}


class Mismatch(Enum):
    """What the plumbing does with a returned resource that fails the post-checks."""

    DROP = "drop"  # searches, history, $everything: leave the entry out
    NOT_FOUND = "not-found"  # reads and writes: answer 404 instead of the resource


@dataclass(frozen=True)
class RequestMutation:
    """How the upstream request differs from the app's.

    ``params`` is the final, ordered query (or ``_search`` form) sent upstream, used verbatim
    instead of the app's.  ``empty_result``: answer an empty searchset without calling
    upstream.  ``if_none_exist``: the narrowed ``If-None-Exist`` header value to forward.
    """

    params: Params = ()
    empty_result: bool = False
    if_none_exist: str | None = None


@dataclass(frozen=True)
class PostChecks:
    """Checks on every resource of the answer (entries, includes, contained, history).

    ``confine_to_patient``: the resource must be in that patient's compartment (or of a type
    the grant shares outside it).  ``granular``: for the requested type, the resource must
    match one alternative (``None`` = unrestricted).  ``letter``: each resource's type must be
    granted with this permission letter (included types too).  ``strip_total``: remove
    ``Bundle.total`` (filtering may have removed matches; ``_summary=count`` gets no count).
    """

    confine_to_patient: str | None = None
    granular: FilterUnion | None = None
    letter: str | None = None
    strip_total: bool = False
    on_mismatch: Mismatch = Mismatch.DROP


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    message: str = ""
    mutations: RequestMutation = field(default_factory=RequestMutation)
    post_checks: PostChecks = field(default_factory=PostChecks)
    requires_stored_read: bool = False
    body_rule: str | None = None
    not_found: bool = False

    @property
    def status(self) -> int:
        return self.reason.status


def allow(reason: Reason = Reason.ALLOWED, **fields: object) -> Decision:
    return Decision(True, reason, **fields)  # type: ignore[arg-type]


def deny(reason: Reason, message: str) -> Decision:
    # SECURITY: a denial carries no mutations or post-checks: nothing is forwarded.
    return Decision(False, reason, message, not_found=reason is Reason.NOT_FOUND)


def not_found(message: str = "not found") -> Decision:
    return deny(Reason.NOT_FOUND, message)


def empty_result(message: str) -> Decision:
    return Decision(True, Reason.EMPTY_RESULT, message, RequestMutation(empty_result=True))
