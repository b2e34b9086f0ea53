"""FHIR errors: every refusal the FHIR side gives is an OperationOutcome.

Each error class carries its HTTP status and its OperationOutcome issue type
(http://hl7.org/fhir/R4/valueset-issue-type.html).  The body is built with the
``fhir.resources`` R4B model so that it is always a valid resource, and it never
holds a stack trace, a token or upstream internals.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from aiohttp import web
from fhir.resources.R4B.operationoutcome import OperationOutcome

FHIR_JSON = "application/fhir+json"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class FhirError(Exception):
    status = 500
    issue_code = "exception"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.headers = dict(headers or {})

    def response(self, request_id: str | None = None) -> web.Response:
        return outcome_response(self.status, self.issue_code, self.message, self.headers, request_id)


class BadRequest(FhirError):
    status, issue_code = 400, "invalid"
    default_message = "The request is malformed."


class Unauthorized(FhirError):
    """RFC 6750 §3: a missing token gets a bare challenge, a bad one ``invalid_token``."""

    status, issue_code = 401, "login"
    default_message = "A valid access token is required."

    def __init__(self, message: str | None = None, *, error: str | None = None):
        challenge = 'Bearer realm="smart-proxy"'
        if error:
            challenge += f', error="{error}"'
            if message:
                challenge += f', error_description="{_quoted(message)}"'
        super().__init__(message, {"WWW-Authenticate": challenge})


class Forbidden(FhirError):
    """RFC 6750 §3.1 ``insufficient_scope``: the token is fine, the scope is not."""

    status, issue_code = 403, "forbidden"
    default_message = "The access token does not grant this interaction."

    def __init__(self, message: str | None = None):
        challenge = 'Bearer realm="smart-proxy", error="insufficient_scope"'
        super().__init__(message, {"WWW-Authenticate": challenge})


class NotFound(FhirError):
    status, issue_code = 404, "not-found"
    default_message = "Resource not found."


class MethodNotAllowed(FhirError):
    status, issue_code = 405, "not-supported"
    default_message = "This method is not supported here."


class PreconditionFailed(FhirError):
    """R4 http.html#concurrency: ``If-Match`` does not name the current version."""

    status, issue_code = 412, "conflict"
    default_message = "The resource has changed; If-Match does not name the current version."


class MultipleMatches(PreconditionFailed):
    """R4 http.html#cond-update, #3.1.0.7.1: conditional criteria that match several resources."""

    issue_code = "multiple-matches"
    default_message = "The conditional criteria match more than one resource."


class Unprocessable(FhirError):
    """R4 http.html#patch: a patch that is valid but cannot be applied (a failing ``test``)."""

    status, issue_code = 422, "processing"
    default_message = "The patch cannot be applied to the current version."


class NotAcceptable(FhirError):
    status, issue_code = 406, "not-supported"
    default_message = "This server answers in application/fhir+json only."


class PayloadTooLarge(FhirError):
    status, issue_code = 413, "too-costly"
    default_message = "The request body is larger than this server accepts."


class InternalError(FhirError):
    status, issue_code = 500, "exception"
    default_message = "Internal error; the request was refused and nothing was disclosed."


class BadGateway(FhirError):
    status, issue_code = 502, "transient"
    default_message = "The FHIR server could not be reached or gave an invalid answer."


class ServiceUnavailable(FhirError):
    status, issue_code = 503, "transient"
    default_message = "The service is temporarily unavailable."


class GatewayTimeout(FhirError):
    status, issue_code = 504, "timeout"
    default_message = "The FHIR server did not answer in time."


_BY_STATUS: dict[int, type[FhirError]] = {
    400: BadRequest, 403: Forbidden, 404: NotFound, 412: PreconditionFailed, 422: Unprocessable,
}


def error_for_status(status: int, message: str) -> FhirError:
    """The refusal for a policy status; anything unmapped is refused as forbidden.

    SECURITY: every 404 carries the same body, whatever the policy's reason (absent and
    not yours must read alike, DESIGN decision 6)."""
    if status == 404:
        return NotFound()
    return _BY_STATUS.get(status, Forbidden)(message)


def outcome_resource(issue_code: str, message: str, request_id: str | None = None) -> dict[str, object]:
    issue: dict[str, object] = {"severity": "error", "code": issue_code, "diagnostics": message}
    if request_id:
        issue["details"] = {"text": f"request id {request_id}"}
    model = OperationOutcome(issue=[issue])
    return model.model_dump(mode="json", exclude_none=True)


def outcome_body(issue_code: str, message: str, request_id: str | None = None) -> bytes:
    return orjson.dumps(outcome_resource(issue_code, message, request_id))


def outcome_response(
    status: int,
    issue_code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> web.Response:
    return web.Response(
        status=status,
        body=outcome_body(issue_code, message, request_id),
        content_type=FHIR_JSON,
        charset="utf-8",
        headers={**NO_STORE, **(headers or {})},
    )


def _quoted(text: str) -> str:
    """RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
