"""Validate one parsed registry document: JSON Schema, then the cross-field rules.

A document is either ``apps: [ ... ]`` or a single app mapping.  Schema errors
from :mod:`jsonschema` are rewritten into short messages an admin can act on
("unknown key 'redirect_uri' (did you mean 'redirect_uris'?)", "missing required
key 'name'"), or into the schema's own ``errorMessage``.  Values under
``client_secret_hash`` are never echoed: an admin may have pasted a real secret.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from app_registry.errors import KeyPath
from app_registry.rules import RuleProblem, app_rule_problems
from app_registry.schema import APP_SCHEMA, REGISTRY_SCHEMA

SECRET_KEYS = frozenset({"client_secret_hash"})
KEY_HINTS = {"client_secret": "store only client_secret_hash, never the plaintext secret"}
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "an empty value",
}
_APP_VALIDATOR = Draft202012Validator(APP_SCHEMA)
_REGISTRY_VALIDATOR = Draft202012Validator(REGISTRY_SCHEMA)


def show(value: Any, path: KeyPath = ()) -> str:
    """A short, safe rendering of a value for a message."""
    if any(part in SECRET_KEYS for part in path):
        return "<redacted>"
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _unknown_key(key: str, allowed: list[str]) -> str:
    if key in KEY_HINTS:
        return f"unknown key {key!r} ({KEY_HINTS[key]})"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    return f"unknown key {key!r} (did you mean {close[0]!r}?)" if close else f"unknown key {key!r}"


def _custom_message(error: ValidationError) -> str | None:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    message = schema.get("errorMessage")
    if isinstance(message, Mapping):
        message = message.get(str(error.validator))
    return message if isinstance(message, str) else None


def _render(error: ValidationError) -> list[RuleProblem]:
    path: KeyPath = tuple(error.absolute_path)
    value: Any = error.instance
    expected: Any = error.validator_value
    rule = str(error.validator)
    if rule == "additionalProperties":
        schema: Any = error.schema
        allowed = sorted(schema.get("properties", {}))
        return [((*path, key), _unknown_key(key, allowed)) for key in value if key not in allowed]
    custom = _custom_message(error)
    if custom is not None:
        return [(path, custom.format(value=show(value, path)))]
    if rule == "required":
        return [(path, f"missing required key {key!r}") for key in expected if key not in value]
    if rule == "uniqueItems":
        return [
            ((*path, i), f"duplicate entry {show(item, path)}")
            for i, item in enumerate(value)
            if item in value[:i]
        ]
    messages = {
        "type": lambda: (
            f"expected {_TYPE_NAMES.get(str(expected), expected)}, got {show(value, path)}"
        ),
        "enum": lambda: f"{show(value, path)} is not one of {', '.join(repr(v) for v in expected)}",
        "const": lambda: f"{show(value, path)} must be {expected!r}",
        "minLength": lambda: (
            "must not be empty" if expected == 1 else f"needs at least {expected} characters"
        ),
        "maxLength": lambda: f"is longer than {expected} characters",
        "minimum": lambda: f"{show(value, path)} is below the minimum {expected}",
        "maximum": lambda: f"{show(value, path)} is above the maximum {expected}",
        "minItems": lambda: (
            "must not be empty" if expected == 1 else f"needs at least {expected} items"
        ),
        "pattern": lambda: f"{show(value, path)} does not match {expected}",
    }
    render = messages.get(rule)
    return [(path, render() if render else error.message)]


def app_paths(document: Any) -> list[KeyPath]:
    """Where the app mappings are: ``[("apps", 0), ...]`` or ``[()]`` for a one-app file."""
    if isinstance(document, Mapping) and "apps" in document:
        apps = document["apps"]
        return (
            [("apps", i) for i, app in enumerate(apps) if isinstance(app, Mapping)]
            if isinstance(apps, list)
            else []
        )
    return [()] if isinstance(document, Mapping) else []


def app_at(document: Any, path: KeyPath) -> Mapping[str, Any]:
    node = document
    for part in path:
        node = node[part]
    return node  # type: ignore[no-any-return]


def validate_document(document: Any) -> list[RuleProblem]:
    """All schema and rule problems of one document, as ``(key path, message)``."""
    if document is None:
        return [((), "the file is empty: expected 'apps: [...]' or one app mapping")]
    if not isinstance(document, Mapping):
        return [((), f"expected 'apps: [...]' or one app mapping, got {show(document)}")]
    validator = _REGISTRY_VALIDATOR if "apps" in document else _APP_VALIDATOR
    problems = [problem for error in validator.iter_errors(document) for problem in _render(error)]
    for path in app_paths(document):
        problems.extend(
            ((*path, *rel), message) for rel, message in app_rule_problems(app_at(document, path))
        )
    return problems
