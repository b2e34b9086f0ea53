"""JSON Schema of the proxy's YAML configuration file.

Unknown keys are errors everywhere (``additionalProperties: false``): a typo in a
security setting must stop start-up, never be silently ignored.  No key exists
that turns a security check off (DESIGN.md, decision 8).
"""

from __future__ import annotations

from typing import Any

_URL = {"type": "string", "pattern": r"^https?://[^\s/?#]+(/[^\s?#]*)?$"}
_SECONDS = {"type": "number", "exclusiveMinimum": 0, "maximum": 3600}

_UPSTREAM_AUTH: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"type": {"const": "none"}},
            "required": ["type"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "type": {"const": "bearer"},
                "token": {"type": "string", "minLength": 1},
                "token_env": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            },
            "required": ["type"],
            "oneOf": [{"required": ["token"]}, {"required": ["token_env"]}],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "type": {"const": "basic"},
                "username": {"type": "string", "minLength": 1, "pattern": r"^[^:]*$"},
                "password": {"type": "string", "minLength": 1},
                "password_env": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            },
            "required": ["type", "username"],
            "oneOf": [{"required": ["password"]}, {"required": ["password_env"]}],
            "additionalProperties": False,
        },
    ]
}

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["public_url", "upstream", "apps", "state"],
    "properties": {
        "public_url": _URL,
        "listen": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "host": {"type": "string", "minLength": 1},
                "port": {"type": "integer", "minimum": 0, "maximum": 65535},
            },
        },
        "upstream": {
            "type": "object",
            "additionalProperties": False,
            "required": ["url"],
            "properties": {
                "url": _URL,
                "timeout_s": _SECONDS,
                "connect_timeout_s": _SECONDS,
                "max_connections": {"type": "integer", "minimum": 1, "maximum": 10000},
                "auth": _UPSTREAM_AUTH,
            },
        },
        "limits": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max_request_body_bytes": {"type": "integer", "minimum": 1024},
                "max_inspected_body_bytes": {"type": "integer", "minimum": 1024},
            },
        },
        "policy": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "shared_types": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "string", "pattern": r"^[A-Z][A-Za-z]{1,63}$"},
                },
            },
        },
        "apps": {"type": "string", "minLength": 1},
        "signing_key": {"type": "string", "minLength": 1},
        "ehr_launch": {
            "type": "object",
            "additionalProperties": False,
            "required": ["credential_hash"],
            "properties": {
                "credential_hash": {"type": "string", "pattern": r"^(scrypt\$|\$argon2id\$|pbkdf2_sha256\$)"},
                "ttl_s": {"type": "integer", "minimum": 30, "maximum": 3600},
            },
        },
        "state": {
            "type": "string",
            "anyOf": [{"const": "memory"}, {"pattern": r"^(rediss?|unix)://"}],
        },
        "audit": {
            "type": "object",
            "additionalProperties": False,
            "required": ["sink"],
            "properties": {
                "sink": {"enum": ["file", "redis"]},
                "path": {"type": "string", "minLength": 1},
            },
            "if": {"properties": {"sink": {"const": "file"}}},
            "then": {"required": ["path"]},
        },
        "identity": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "local_users": {"type": "string", "minLength": 1},
                "oidc": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["issuer", "client_id"],
                    "properties": {
                        "issuer": _URL,
                        "client_id": {"type": "string", "minLength": 1},
                        "client_secret": {"type": "string", "minLength": 1},
                        "client_secret_env": {"type": "string"},
                        "fhir_user_claim": {"type": "string", "minLength": 1},
                        "scopes": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    },
}
