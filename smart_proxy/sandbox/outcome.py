"""Errors as ``OperationOutcome`` resources.

Every failure of the sandbox is reported the way a FHIR server reports it: an HTTP status
and an ``OperationOutcome`` body (http://hl7.org/fhir/R4/http.html#Status-Codes,
http://hl7.org/fhir/R4/operationoutcome.html).  Handlers raise :class:`FhirError`; the
HTTP layer and the batch/transaction processor turn it into a response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]

#: The ``OperationOutcome.issue.code`` (IssueType) used when a status is raised without one.
_DEFAULT_ISSUE_CODE: Mapping[int, str] = {
    400: "invalid",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "processing",
    500: "exception",
}


class FhirError(Exception):
    """A failed interaction: HTTP ``status`` plus one OperationOutcome issue."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str | None = None,
        expression: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or _DEFAULT_ISSUE_CODE.get(status, "processing")
        self.expression = expression
        self.headers: dict[str, str] = dict(headers or {})

    def outcome(self) -> Json:
        return operation_outcome(
            self.diagnostics, severity="error", code=self.code, expression=self.expression
        )


def operation_outcome(
    diagnostics: str,
    *,
    severity: str = "information",
    code: str = "informational",
    expression: str | None = None,
) -> Json:
    """A one-issue OperationOutcome."""
    issue: Json = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def not_found(resource_type: str, resource_id: str) -> FhirError:
    return FhirError(404, f"Resource {resource_type}/{resource_id} is not known")


def gone(resource_type: str, resource_id: str, etag: str) -> FhirError:
    """Reading a deleted resource: 410 Gone (http.html#read)."""
    return FhirError(
        410, f"Resource {resource_type}/{resource_id} has been deleted", headers={"ETag": etag}
    )


def invalid(diagnostics: str, *, expression: str | None = None) -> FhirError:
    return FhirError(400, diagnostics, code="invalid", expression=expression)


def not_supported(diagnostics: str) -> FhirError:
    return FhirError(400, diagnostics, code="not-supported")
