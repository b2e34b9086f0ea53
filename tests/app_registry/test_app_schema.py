"""The JSON Schema itself: well-formed, closed everywhere, and its patterns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app_registry import APP_SCHEMA, REGISTRY_SCHEMA
from app_registry.jwks import PRIVATE_MEMBERS as PRIVATE_JWK_MEMBERS
from app_registry.lifecycle import DATE_PATTERN, INSTANT_PATTERN
from app_registry.schema import (
    CLIENT_ID_PATTERN,
    SCOPE_PATTERN,
    SECRET_HASH_PATTERN,
)


def object_schemas(schema: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema that describes an object (conditions in if/then only constrain one)."""
    if isinstance(schema, dict):
        if "properties" in schema and not where.endswith(("/if", "/then")):
            yield where, schema
        for key, value in schema.items():
            yield from object_schemas(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from object_schemas(value, f"{where}/{index}")


@pytest.mark.parametrize("schema", [APP_SCHEMA, REGISTRY_SCHEMA], ids=["app", "registry"])
def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(
    ("schema", "count"), [(APP_SCHEMA, 9), (REGISTRY_SCHEMA, 10)], ids=["app", "registry"]
)
def test_every_object_is_closed(schema: dict[str, Any], count: int) -> None:
    found = list(object_schemas(schema))
    # (registry,) app, publisher, jwks, jwk, lifecycle event, attestation, rate_limit, bulk_export,
    # token_lifetimes
    assert len(found) == count
    for where, subschema in found:
        assert subschema.get("type") == "object", where
        assert subschema.get("additionalProperties") is False, where


def test_registry_schema_embeds_the_app_schema() -> None:
    items = REGISTRY_SCHEMA["properties"]["apps"]["items"]
    assert items["properties"] == APP_SCHEMA["properties"]
    assert items["required"] == APP_SCHEMA["required"]


def test_private_jwk_members_are_all_forbidden() -> None:
    jwk = APP_SCHEMA["properties"]["jwks"]["properties"]["keys"]["items"]
    validator = Draft202012Validator(jwk)
    for member in PRIVATE_JWK_MEMBERS:
        assert not validator.is_valid({"kty": "RSA", "n": "AQAB", "e": "AQAB", member: "AQAB"}), (
            member
        )
    assert validator.is_valid({"kty": "RSA", "n": "AQAB", "e": "AQAB"})


@pytest.mark.parametrize(
    "scope",
    [
        "patient/Observation.read",
        "patient/Observation.write",
        "patient/*.read",
        "patient/*.*",
        "user/Patient.*",
        "patient/Observation.rs",
        "patient/Observation.cruds",
        "patient/Observation.c",
        "patient/Observation.s",
        "user/Encounter.rs",
        "system/*.rs",
        "system/Patient.read",
        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
        "patient/Condition.rs?category=http://hl7.org/fhir/us/core/CodeSystem/condition-category|health-concern",
        "patient/Observation.rs?category=vital-signs&code=http://loinc.org|8867-4",
        "patient/DocumentReference.rs?_security:not=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R",
        "launch",
        "launch/patient",
        "launch/encounter",
        "openid",
        "fhirUser",
        "profile",
        "offline_access",
        "online_access",
    ],
)
def test_scope_pattern_accepts(scope: str) -> None:
    assert re.match(SCOPE_PATTERN, scope)


@pytest.mark.parametrize(
    "scope",
    [
        "",
        "patient",
        "patient/",
        "patient/Observation",
        "patient/Observation.",
        "patient/observation.rs",  # resource types are capitalised
        "patient/Observation.sr",  # v2 letters come in c-r-u-d-s order
        "patient/Observation.rr",
        "patient/Observation.x",
        "patient/Observation.readwrite",
        "patient/Observation.read?category=laboratory",  # granular needs v2
        "patient/Observation.rs?",
        "patient/Observation.rs?category",
        "patient/Observation.rs?category=",
        "patient/Observation.rs?category=a b",
        "practitioner/Observation.rs",
        "Observation.rs",
        "launch/practitioner",
        "openid ",
        " openid",
        "openid fhirUser",
        "OPENID",
        "offline",
        "patient/Observation.rs\n",
    ],
)
def test_scope_pattern_rejects(scope: str) -> None:
    assert not re.match(SCOPE_PATTERN, scope)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA", True),
        ("scrypt$n=16384,r=8,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA==", True),
        ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", True),
        ("pbkdf2_sha256$600000$salt$aGFzaGhhc2hoYXNoaGFzaA==", True),
        ("hunter2", False),
        ("scrypt$short", False),
        ("scrypt$16384$8$1$salt$tooshort", False),
        ("$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", False),
        ("$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", False),
        ("5f4dcc3b5aa765d61d8327deb882cf99", False),  # bare MD5
        ("scrypt$16384$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA with space", False),
        ("scrypt$16384$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA\n", False),
    ],
)
def test_secret_hash_pattern(value: str, valid: bool) -> None:
    assert bool(re.match(SECRET_HASH_PATTERN, value)) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("viewer", True),
        ("com.example.app", True),
        ("a_b~c-d", True),
        ("0abc", True),
        ("ab", False),
        ("-abc", False),
        ("has space", False),
        ("slash/id", False),
        ("a" * 128, True),
        ("a" * 129, False),
        ("viewer\n", False),
    ],
)
def test_client_id_pattern(value: str, valid: bool) -> None:
    assert bool(re.match(CLIENT_ID_PATTERN, value)) is valid


@pytest.mark.parametrize(
    ("value", "date_ok", "instant_ok"),
    [
        ("2026-01-01", True, True),
        ("2026-01-01T00:00:00Z", False, True),
        ("2026-01-01T00:00:00.123+05:30", False, True),
        ("2026-01-01T00:00:00", False, False),
        ("2026-01-01 00:00:00Z", False, False),
        ("26-01-01", False, False),
        ("2026/01/01", False, False),
        ("2026-01-01\n", False, False),
    ],
)
def test_date_patterns(value: str, date_ok: bool, instant_ok: bool) -> None:
    assert bool(re.match(DATE_PATTERN, value)) is date_ok
    assert bool(re.match(INSTANT_PATTERN, value)) is instant_ok
