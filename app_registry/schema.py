"""JSON Schema (draft 2020-12) for one registered app and for a registry file.

Field names follow RFC 7591 client metadata where one exists (``client_id``,
``redirect_uris``, ``jwks``, ``jwks_uri``, ``logo_uri``, ``tos_uri``, ``contacts``)
and SMART App Launch 2.2 "Register App with EHR" for the rest: a fixed
``launch_uri`` for EHR launch, exact ``redirect_uris``, the client types of
SMART's ``client-public`` / ``client-confidential-symmetric`` /
``client-confidential-asymmetric`` capabilities, and the ``scopes`` ceiling.

Every object has ``additionalProperties: false``.  Schema failures are turned into
admin-friendly messages by :mod:`app_registry.validation`; a schema may carry an
``errorMessage`` (the ajv-errors convention: a string, or a mapping from keyword to
string, with ``{value}`` for the offending value) that replaces the generic text.
URI semantics (https, loopback, RFC 8252 private-use schemes, fragments) and other
rules JSON Schema cannot say well live in :mod:`app_registry.uris`,
:mod:`app_registry.jwks`, :mod:`app_registry.lifecycle` and :mod:`app_registry.rules`.
"""

from __future__ import annotations

from typing import Any

from app_registry.jwks import JWKS_SCHEMA
from app_registry.lifecycle import DATE_PATTERN, EVENT_SCHEMA

Schema = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
CLIENT_TYPES = ("public", "confidential-symmetric", "confidential-asymmetric")
LAUNCH_TYPES = ("ehr", "standalone", "backend")
AUDIENCES = ("patient", "clinician", "system")
ATTESTATION_STATUSES = ("attested", "not-attested", "not-reviewed")

#: Python's ``$`` also matches before a final newline; ``(?!\n)`` closes that gap (ECMA-262 too).
END = r"$(?!\n)"
CLIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~-]{2,127}" + END
#: scrypt / argon2id (PHC string) / pbkdf2_sha256 (Django layout) password hashes.
SECRET_HASH_PATTERN = (
    r"^(scrypt(\$[A-Za-z0-9+/=.,_-]+){1,5}\$[A-Za-z0-9+/=_-]{16,}"
    r"|\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]{16,}"
    r"|pbkdf2_sha256\$\d+\$[A-Za-z0-9+/=._-]+\$[A-Za-z0-9+/=]{16,})" + END
)
_PARAM = r"[A-Za-z_][A-Za-z0-9_:.-]*=[^\s&]+"
#: Shape only: SMART v1 (``.read``), v2 (``.cruds``), granular (``.rs?category=...``),
#: launch context and identity scopes.  The ``scopes`` package parses them precisely.
SCOPE_PATTERN = (
    r"^((patient|user|system)/(\*|[A-Z][A-Za-z]{1,63})\."
    rf"((read|write|\*)|(?=[cruds])c?r?u?d?s?(\?{_PARAM}(&{_PARAM})*)?)"
    r"|launch(/patient|/encounter)?|openid|fhirUser|profile|offline_access|online_access)" + END
)
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+" + END


def _text(max_length: int = 200) -> Schema:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _matching(pattern: str, message: str) -> Schema:
    return {"type": "string", "pattern": pattern, "errorMessage": {"pattern": message}}


def _object(properties: dict[str, Schema], required: tuple[str, ...] = (), **more: Any) -> Schema:
    schema: Schema = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = list(required)
    return {**schema, **more}


def _list(items: Schema) -> Schema:
    return {"type": "array", "items": items, "minItems": 1, "uniqueItems": True}


def _count(minimum: int, maximum: int) -> Schema:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def _when(key: str, condition: Schema, then: Schema) -> Schema:
    """``if`` the object has ``key`` matching ``condition`` ``then`` ...."""
    return {
        "if": {"type": "object", "properties": {key: condition}, "required": [key]},
        "then": then,
    }


def _require(keys: list[str], message: str) -> Schema:
    return {"required": keys, "errorMessage": message}


def _constrain(**rules: tuple[Schema, str]) -> Schema:
    """Constrain keys, each with its own message: ``key=(schema, message)``."""
    return {"properties": {k: {**schema, "errorMessage": m} for k, (schema, m) in rules.items()}}


def _launches(*kinds: str) -> Schema:
    return {"type": "array", "contains": {"enum": list(kinds)}}


_DATE_HELP = "{value} is not a YYYY-MM-DD date"
FHIR_ID_PATTERN = r"^[A-Za-z0-9\-.]{1,64}$"
URI: Schema = {"type": "string", "minLength": 1, "maxLength": 2048, "format": "uri"}
_FORBIDDEN: Schema = {"not": {}}
_SYMMETRIC: Schema = {"const": "confidential-symmetric"}
_ASYMMETRIC: Schema = {"const": "confidential-asymmetric"}

ATTESTATION: Schema = _object(
    {
        "status": {"enum": list(ATTESTATION_STATUSES)},
        "by": _text(),
        "date": {"type": "string", "pattern": DATE_PATTERN, "errorMessage": _DATE_HELP},
        "url": URI,
    },
    required=("status",),
    allOf=[
        _when(
            "status",
            {"const": "attested"},
            _require(["by", "date"], "an attested attestation needs 'by' and 'date'"),
        )
    ],
)

_CLIENT_ID_HELP = (
    "{value} is not a valid client_id: 3-128 letters, digits, '.', '_', '~' or '-',"
    " starting with a letter or digit"
)
_SECRET_HELP = (
    "must be a password hash such as 'scrypt$...' or '$argon2id$...', never the plaintext secret"
)
_SECRET_HASH = {"type": "string", "pattern": SECRET_HASH_PATTERN, "errorMessage": _SECRET_HELP}
_RATE_LIMITS = ("requests_per_minute", "burst", "per_patient_per_minute")
_SCOPE_HELP = "{value} is not a SMART scope (e.g. patient/Observation.rs, launch/patient, openid)"

APP: Schema = _object(
    {
        "client_id": _matching(CLIENT_ID_PATTERN, _CLIENT_ID_HELP),
        "name": _text(100),
        "publisher": _object({"name": _text(), "url": URI}, required=("name",)),
        "description": _text(2000),
        "logo_uri": URI,
        "homepage_uri": URI,
        "privacy_policy_uri": URI,
        "tos_uri": URI,
        "contacts": _list(_matching(EMAIL_PATTERN, "{value} is not an email address")),
        "client_type": {"enum": list(CLIENT_TYPES)},
        "client_secret_hash": _SECRET_HASH,
        "jwks": JWKS_SCHEMA,
        "jwks_uri": URI,
        "redirect_uris": _list(URI),
        "launch_uri": URI,
        "launch_types": _list({"enum": list(LAUNCH_TYPES)}),
        "audience": {"enum": list(AUDIENCES)},
        "scopes": _list(_matching(SCOPE_PATTERN, _SCOPE_HELP)),
        "rate_limit": _object({key: _count(1, 100_000) for key in _RATE_LIMITS}),
        "bulk_export": _object(
            {
                "groups": _list(_matching(FHIR_ID_PATTERN, "{value} is not a FHIR id")),
                "all_patients": {"type": "boolean"},
            }
        ),
        "attestation": ATTESTATION,
        "lifecycle": {"type": "array", "items": EVENT_SCHEMA},
        "token_lifetimes": _object(
            {
                "access_token_seconds": _count(60, 3600),  # REG-08: access tokens <= 1 hour
                "authorization_code_seconds": _count(10, 300),  # "short-lived", SMART
                "refresh_token_days": _count(1, 730),
            }
        ),
    },
    required=("client_id", "name", "client_type", "audience", "launch_types", "scopes"),
    allOf=[
        _when(
            "client_type",
            _SYMMETRIC,
            _require(
                ["client_secret_hash"], "confidential-symmetric clients need client_secret_hash"
            ),
        ),
        _when(
            "client_type",
            {"not": _SYMMETRIC},
            _constrain(
                client_secret_hash=(
                    _FORBIDDEN,
                    "only confidential-symmetric clients have a client_secret_hash",
                )
            ),
        ),
        _when(
            "client_type",
            _ASYMMETRIC,
            {
                "anyOf": [{"required": ["jwks"]}, {"required": ["jwks_uri"]}],
                "not": {"required": ["jwks", "jwks_uri"]},
                "errorMessage": {
                    "anyOf": "confidential-asymmetric clients need jwks or jwks_uri",
                    "not": "give jwks or jwks_uri, not both",
                },
            },
        ),
        _when(
            "client_type",
            {"not": _ASYMMETRIC},
            _constrain(
                jwks=(_FORBIDDEN, "only confidential-asymmetric clients have jwks"),
                jwks_uri=(_FORBIDDEN, "only confidential-asymmetric clients have jwks_uri"),
            ),
        ),
        _when(
            "launch_types",
            _launches("ehr", "standalone"),
            _require(["redirect_uris"], "apps with an ehr or standalone launch need redirect_uris"),
        ),
        _when(
            "launch_types",
            _launches("ehr"),
            _require(["launch_uri"], "apps with an ehr launch need launch_uri"),
        ),
        _when(
            "launch_types",
            _launches("backend"),
            _constrain(
                client_type=(
                    _ASYMMETRIC,
                    (
                        "backend services use private_key_jwt:"
                        " client_type must be confidential-asymmetric"
                    ),
                ),
                audience=({"const": "system"}, "backend services have audience 'system'"),
            ),
        ),
        _when(
            "audience",
            {"const": "system"},
            _constrain(
                launch_types=(
                    {"const": ["backend"]},
                    "apps with audience 'system' have launch_types [backend] only",
                )
            ),
        ),
        _when(
            "audience",
            {"const": "patient"},
            _require(["privacy_policy_uri"], "patient-facing apps need privacy_policy_uri"),
        ),
    ],
)

APP_SCHEMA: Schema = {"$schema": DRAFT, "title": "smart-proxy registered app", **APP}
REGISTRY_SCHEMA: Schema = {
    "$schema": DRAFT,
    "title": "smart-proxy app registry file",
    **_object({"apps": {"type": "array", "items": APP}}, required=("apps",)),
}
