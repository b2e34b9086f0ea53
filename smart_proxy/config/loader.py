"""Read the configuration file once, validate it, fail loudly.

Every error names the file, the line and the key path, e.g.
``proxy.yaml:7: upstream.timeout_s: 'fast' is not of type 'number'``.
Relative paths in the file are resolved against the file's folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
from yarl import URL

from app_registry.yaml_source import YamlDocument, parse_yaml
from scopes.compartment import PATIENT_COMPARTMENT
from scopes.membership import EXCLUDED_TYPES, PATIENT_BOUND_TYPES

from .model import (
    AuditConfig,
    Config,
    EhrLaunchConfig,
    IdentityConfig,
    Limits,
    OidcConfig,
    PolicyConfig,
    Secret,
    UpstreamAuth,
    UpstreamConfig,
)
from .schema import CONFIG_SCHEMA

_HINTS = {
    "state": "must be 'memory' or a redis://, rediss:// or unix:// URL",
    "public_url": "must be an http(s) URL without query or fragment",
    "url": "must be an http(s) URL without query or fragment",
    "issuer": "must be an http(s) URL without query or fragment",
}
_VALIDATOR = jsonschema.Draft202012Validator(CONFIG_SCHEMA)


class ConfigError(ValueError):
    """Start-up must stop; ``str()`` lists every problem with file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{file}:0: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{file}:0: cannot read: {exc}"]) from None
    doc = parse_yaml(text)
    if doc.problems:
        raise ConfigError([f"{file}:{line}: {message}" for _, line, message in doc.problems])
    problems = [_describe(file, doc, err) for err in _VALIDATOR.iter_errors(doc.value)]
    if not problems and doc.value.get("state") != "memory" and "signing_key" not in doc.value:
        line = doc.line_of(("state",))
        problems.append(f"{file}:{line}: state: replicas sharing {doc.value['state'].split('://')[0]}:// "
                        "state need one id_token key: set signing_key")
    if not problems:
        problems += _shared_type_problems(file, doc)
    if problems:
        raise ConfigError(sorted(set(problems), key=_line_order))
    return _build(file, doc, file.resolve().parent, env)


def _shared_type_problems(file: Path, doc: YamlDocument) -> list[str]:
    """A type the policy confines to the patient, or never shows, cannot be shared."""
    problems = []
    names = doc.value.get("policy", {}).get("shared_types", [])
    for index, name in enumerate(names):
        why = None
        if name in PATIENT_COMPARTMENT or name in PATIENT_BOUND_TYPES or name == "Patient":
            why = "is confined to the patient in context, it cannot be shared"
        elif name in EXCLUDED_TYPES or name in ("Binary", "Bundle"):
            why = "is never shown as shared data"
        if why:
            line = doc.line_of(("policy", "shared_types", index))
            problems.append(f"{file}:{line}: policy.shared_types.{index}: {name!r} {why}")
    return problems


def _describe(file: Path, doc: YamlDocument, err: jsonschema.ValidationError) -> str:
    path = list(err.absolute_path)
    where = ".".join(str(p) for p in path) or "(top level)"
    if err.validator == "additionalProperties":
        path += sorted(set(err.instance) - set(err.schema.get("properties", {})))[:1]
    return f"{file}:{doc.line_of(tuple(path)) or 1}: {where}: {_message(err)}"


def _one_of_message(err: jsonschema.ValidationError) -> str:
    """Explain a failed ``oneOf``: the branch the author meant, or the choices."""
    branches = err.validator_value
    if all(set(b) == {"required"} for b in branches):
        return "needs exactly one of " + ", ".join(b["required"][0] for b in branches)
    kind = err.instance.get("type") if isinstance(err.instance, dict) else None
    meant = [e for e in err.context or [] if e.relative_schema_path[0] == _branch_of(branches, kind)]
    if meant:
        return _message(meant[0])
    choices = [b.get("properties", {}).get("type", {}).get("const") for b in branches]
    return f"type must be one of {', '.join(str(c) for c in choices)}"


def _branch_of(branches: list[dict[str, Any]], kind: object) -> int:
    for i, branch in enumerate(branches):
        if branch.get("properties", {}).get("type", {}).get("const") == kind:
            return i
    return -1


def _message(err: jsonschema.ValidationError) -> str:
    path = list(err.absolute_path)
    hint = _HINTS.get(str(path[-1])) if path else None
    if hint and err.validator in ("anyOf", "pattern"):
        return f"{err.instance!r} {hint}"
    if err.validator == "oneOf":
        return _one_of_message(err)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"unknown key {', '.join(extra)}"
    return err.message


def _line_order(problem: str) -> tuple[int, str]:
    parts = problem.split(":", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0, problem)


def _build(file: Path, doc: YamlDocument, base: Path, env: Mapping[str, str]) -> Config:
    data: dict[str, Any] = doc.value

    def secret(section: Mapping[str, Any], key: str, where: str) -> Secret | None:
        if key in section:
            return Secret(str(section[key]))
        var = section.get(f"{key}_env")
        if var is None:
            return None
        if var not in env:
            line = doc.line_of((*where.split("."), f"{key}_env"))
            raise ConfigError([f"{file}:{line}: {where}.{key}_env: variable {var} is not set"])
        return Secret(env[var])

    up = data["upstream"]
    auth = up.get("auth", {"type": "none"})
    credential = secret(auth, "token" if auth["type"] == "bearer" else "password", "upstream.auth")
    if auth["type"] == "basic" and credential is not None:
        credential = Secret(f"{auth['username']}:{credential.value}")
    listen = data.get("listen", {})
    identity = data.get("identity", {})
    oidc = identity.get("oidc")
    audit = data.get("audit", {"sink": "file"})
    return Config(
        public_url=URL(data["public_url"].rstrip("/")),
        upstream=UpstreamConfig(
            url=URL(up["url"].rstrip("/")),
            timeout_s=float(up.get("timeout_s", 30.0)),
            connect_timeout_s=float(up.get("connect_timeout_s", 5.0)),
            max_connections=int(up.get("max_connections", 100)),
            auth=UpstreamAuth(auth["type"], credential),
        ),
        apps=base / data["apps"],
        state=data["state"],
        host=listen.get("host", "127.0.0.1"),
        port=int(listen.get("port", 8080)),
        limits=Limits(**data.get("limits", {})),
        policy=PolicyConfig(frozenset(data["policy"]["shared_types"]))
        if "shared_types" in data.get("policy", {}) else PolicyConfig(),
        audit=AuditConfig(audit["sink"], base / audit["path"] if "path" in audit else None),
        identity=IdentityConfig(
            local_users=base / identity["local_users"] if "local_users" in identity else None,
            oidc=None
            if oidc is None
            else OidcConfig(
                issuer=oidc["issuer"],
                client_id=oidc["client_id"],
                client_secret=secret(oidc, "client_secret", "identity.oidc"),
                fhir_user_claim=oidc.get("fhir_user_claim", "fhirUser"),
                scopes=tuple(oidc.get("scopes", ("openid", "profile", "email"))),
            ),
        ),
        signing_key=base / data["signing_key"] if "signing_key" in data else None,
        ehr_launch=EhrLaunchConfig(**data["ehr_launch"]) if "ehr_launch" in data else None,
        source=file,
    )
