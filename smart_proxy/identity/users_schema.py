"""JSON Schema (draft 2020-12) of the local users file and admin-friendly messages.

The file is ``users: [ {username, password_hash, fhir_user, display_name,
patients?, totp_secret?}, ... ]``.  Every object has ``additionalProperties:
false``.  Messages follow the app registry's style (``unknown key 'x'``, ``missing
required key 'y'``); values of ``password_hash`` and ``totp_secret`` are never
echoed, since an admin may have pasted a real password or seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from app_registry.errors import KeyPath
from app_registry.schema import DRAFT, END, SECRET_HASH_PATTERN

#: Login names: letters, digits and ``. _ @ + -`` (so e-mail addresses work), 1-128 long.
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}" + END
#: FHIR R4 ``id``: 1-64 of ``[A-Za-z0-9.-]``.
FHIR_ID_PATTERN = r"^[A-Za-z0-9.-]{1,64}" + END
FHIR_USER_PATTERN = r"^(Patient|Practitioner|RelatedPerson)/[A-Za-z0-9.-]{1,64}" + END
#: RFC 4648 base32 without padding; 26+ characters is at least the 128 bits RFC 4226 §4 requires.
TOTP_SECRET_PATTERN = r"^[A-Z2-7]{26,128}" + END
SECRET_FIELDS = frozenset({"password_hash", "totp_secret"})


def _pattern(pattern: str, message: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern, "errorMessage": message}


USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["username", "password_hash", "fhir_user", "display_name"],
    "properties": {
        "username": _pattern(
            USERNAME_PATTERN,
            "{value} is not a valid username: 1-128 letters, digits, '.', '_', '@', '+' or '-'",
        ),
        "password_hash": _pattern(
            SECRET_HASH_PATTERN,
            "must be a password hash made by 'smart-proxy users hash-password', never a password",
        ),
        "fhir_user": _pattern(
            FHIR_USER_PATTERN,
            "{value} is not Patient/<id>, Practitioner/<id> or RelatedPerson/<id>",
        ),
        "display_name": {"type": "string", "minLength": 1, "maxLength": 200},
        "patients": {
            "type": "array",
            "uniqueItems": True,
            "items": _pattern(FHIR_ID_PATTERN, "{value} is not a FHIR Patient id"),
        },
        "totp_secret": _pattern(
            TOTP_SECRET_PATTERN, "must be an upper-case base32 TOTP secret of 26-128 characters"
        ),
    },
}
USERS_FILE_SCHEMA: dict[str, Any] = {
    "$schema": DRAFT,
    "type": "object",
    "additionalProperties": False,
    "required": ["users"],
    "properties": {"users": {"type": "array", "items": USER_SCHEMA}},
}
_VALIDATOR = Draft202012Validator(USERS_FILE_SCHEMA)
_TYPES = {"string": "a string", "array": "a list", "object": "a mapping"}
_HINTS = {"password": "store only password_hash, never the password itself"}


def _show(value: Any, path: KeyPath) -> str:
    if any(part in SECRET_FIELDS for part in path):
        return "<redacted>"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = "an empty value" if value is None else repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _render(error: ValidationError) -> list[tuple[KeyPath, str]]:
    path: KeyPath = tuple(error.absolute_path)
    schema: Any = error.schema
    if error.validator == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        return [
            ((*path, key), f"unknown key {key!r}" + (f" ({_HINTS[key]})" if key in _HINTS else ""))
            for key in error.instance
            if key not in allowed
        ]
    if error.validator == "required":
        return [
            (path, f"missing required key {k!r}")
            for k in error.validator_value
            if k not in error.instance
        ]
    if error.validator == "type":
        expected = _TYPES.get(str(error.validator_value), str(error.validator_value))
        return [(path, f"expected {expected}, got {_show(error.instance, path)}")]
    if error.validator == "uniqueItems":
        seen: list[Any] = []
        found = []
        for i, item in enumerate(error.instance):
            if item in seen:
                found.append(((*path, i), f"duplicate entry {_show(item, path)}"))
            seen.append(item)
        return found
    if isinstance(schema, Mapping) and isinstance(schema.get("errorMessage"), str):
        return [(path, schema["errorMessage"].format(value=_show(error.instance, path)))]
    if error.validator == "minLength":
        return [(path, "must not be empty")]
    if error.validator == "maxLength":
        return [(path, f"is longer than {error.validator_value} characters")]
    return [(path, error.message)]  # pragma: no cover - every rule in the schema is handled above


def schema_problems(document: Any) -> list[tuple[KeyPath, str]]:
    """Every schema violation in ``document`` as ``(key path, message)``."""
    if document is None:
        return [((), "the file is empty: expected 'users: [...]'")]
    return [problem for error in _VALIDATOR.iter_errors(document) for problem in _render(error)]
