"""Content negotiation: the sandbox speaks FHIR JSON only (http.html#mime-type).

``_format`` overrides ``Accept`` (http.html#general).  A client that accepts only XML (or
another non-JSON type) for a non-Binary resource gets 406.  A Binary is sent as JSON only
when the client asks for FHIR JSON explicitly; otherwise as its own bytes (binary.html#rest).
"""

from __future__ import annotations

FHIR_JSON = "application/fhir+json"
JSON_TYPES = frozenset({FHIR_JSON, "application/json", "application/json+fhir"})
_JSON_FORMATS = JSON_TYPES | {"json"}
FORM = "application/x-www-form-urlencoded"


def media_type(header: str | None) -> str:
    """The bare media type of a Content-Type/Accept item, lower-cased."""
    return (header or "").split(";", 1)[0].strip().lower()


def is_fhir_json(content_type: str | None) -> bool:
    return media_type(content_type) in JSON_TYPES


def _accepted(accept: str | None) -> list[str]:
    return [media_type(item) for item in (accept or "").split(",") if item.strip()]


def _format(value: str) -> str:
    """``_format`` lower-cased; an unencoded ``+`` arrives as a space (``fhir json``)."""
    return value.strip().lower().replace(" ", "+")


def wants_fhir_json(accept: str | None, format_param: str | None) -> bool:
    """Whether the client explicitly asked for FHIR JSON (decides a Binary's form)."""
    if format_param:
        return _format(format_param) in _JSON_FORMATS
    return any(item in JSON_TYPES for item in _accepted(accept))


def accepts_json(accept: str | None, format_param: str | None) -> bool:
    """Whether a JSON answer is acceptable at all (else 406)."""
    if format_param:
        return _format(format_param) in _JSON_FORMATS
    items = _accepted(accept)
    if not items:
        return True
    return any(item in JSON_TYPES or item in ("*/*", "application/*") for item in items)
