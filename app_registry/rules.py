"""Rules for one app entry that JSON Schema cannot express, or not with a useful message.

They run on the raw mapping even when the schema found problems, so an admin sees
everything at once; each rule therefore checks the types it relies on and skips
values the schema already complains about.  Each problem is ``(key path, message)``
relative to the app.

* URIs: see :mod:`app_registry.uris` (RFC 6749 §3.1.2, RFC 8252 §7).
* Inline JWKS: see :mod:`app_registry.jwks` (unique ``kid``, RSA >= 2048 bits).
* Scopes against launch types: ``system/`` scopes only for backend services
  (SMART Backend Services, client_credentials grant), and a backend-only service has
  no user or patient context, so it gets only ``system/`` scopes.
* Lifecycle dates: see :mod:`app_registry.lifecycle`; the attestation date is real.
* A per-patient rate limit cannot exceed the app-wide one.
* ``bulk_export`` belongs to backend services only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from app_registry.errors import KeyPath
from app_registry.jwks import key_problems
from app_registry.lifecycle import DATE_PATTERN, event_problems
from app_registry.uris import https_uri_problem, launch_uri_problem, redirect_uri_problem

RuleProblem = tuple[KeyPath, str]
_HTTPS_KEYS = ("logo_uri", "homepage_uri", "privacy_policy_uri", "tos_uri", "jwks_uri")


def _check(path: KeyPath, value: Any, check: Callable[[str], str | None]) -> Iterator[RuleProblem]:
    if isinstance(value, str):
        problem = check(value)
        if problem is not None:
            yield path, problem


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def uri_problems(app: Mapping[str, Any]) -> Iterator[RuleProblem]:
    for key in _HTTPS_KEYS:
        yield from _check((key,), app.get(key), https_uri_problem)
    yield from _check(
        ("publisher", "url"), _mapping(app.get("publisher")).get("url"), https_uri_problem
    )
    yield from _check(
        ("attestation", "url"), _mapping(app.get("attestation")).get("url"), https_uri_problem
    )
    yield from _check(("launch_uri",), app.get("launch_uri"), launch_uri_problem)
    for index, uri in _items(app.get("redirect_uris")):
        yield from _check(("redirect_uris", index), uri, redirect_uri_problem)


def jwks_problems(app: Mapping[str, Any]) -> Iterator[RuleProblem]:
    keys = _mapping(app.get("jwks")).get("keys")
    for path, message in key_problems(keys):
        yield ("jwks", "keys", *path), message
    for index, key in _items(keys):
        yield from _check(
            ("jwks", "keys", index, "x5u"), _mapping(key).get("x5u"), https_uri_problem
        )


def scope_problems(app: Mapping[str, Any]) -> Iterator[RuleProblem]:
    kinds = app.get("launch_types")
    if not isinstance(kinds, list) or not kinds:
        return
    backend_only = set(kinds) == {"backend"}
    for index, scope in _items(app.get("scopes")):
        if not isinstance(scope, str):
            continue
        if scope.startswith("system/") and "backend" not in kinds:
            yield ("scopes", index), f"{scope!r}: system/ scopes are only for backend services"
        elif backend_only and not scope.startswith("system/"):
            yield ("scopes", index), f"{scope!r}: a backend service gets only system/ scopes"


def bulk_export_problems(app: Mapping[str, Any]) -> Iterator[RuleProblem]:
    kinds = app.get("launch_types")
    if "bulk_export" in app and isinstance(kinds, list) and "backend" not in kinds:
        yield ("bulk_export",), "only backend services (launch type 'backend') export in bulk"


def lifecycle_problems(app: Mapping[str, Any]) -> Iterator[RuleProblem]:
    for path, message in event_problems(app.get("lifecycle")):
        yield ("lifecycle", *path), message


def attestation_problems(app: Mapping[str, Any]) -> Iterator[RuleProblem]:
    text = _mapping(app.get("attestation")).get("date")
    if isinstance(text, str) and re.match(DATE_PATTERN, text):
        try:
            date.fromisoformat(text)
        except ValueError:
            yield ("attestation", "date"), f"{text!r} is not a valid date"


def rate_limit_problems(app: Mapping[str, Any]) -> Iterator[RuleProblem]:
    limits = _mapping(app.get("rate_limit"))
    per_app, per_patient = limits.get("requests_per_minute"), limits.get("per_patient_per_minute")
    if type(per_app) is int and type(per_patient) is int and per_patient > per_app:
        message = f"{per_patient} exceeds requests_per_minute ({per_app})"
        yield ("rate_limit", "per_patient_per_minute"), message


RULES: tuple[Callable[[Mapping[str, Any]], Iterator[RuleProblem]], ...] = (
    uri_problems,
    jwks_problems,
    scope_problems,
    bulk_export_problems,
    lifecycle_problems,
    attestation_problems,
    rate_limit_problems,
)


def app_rule_problems(app: Mapping[str, Any]) -> list[RuleProblem]:
    """Every cross-field problem of one app entry, in rule order."""
    return [problem for rule in RULES for problem in rule(app)]
