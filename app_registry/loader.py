"""Load the app registry from a YAML file or a folder of YAML files.

Accepted layouts::

    apps.yaml                 # apps: [ {client_id: ..., ...}, ... ]
    apps.d/                   # every *.yaml / *.yml directly inside, sorted by name;
      10-patient-app.yaml     #   each file is one app mapping
      20-partners.yaml        #   or apps: [ ... ]

Loading is all-or-nothing.  Every problem in every file -- YAML syntax, duplicate
YAML keys, schema violations, cross-field rules, a ``client_id`` defined twice --
is collected and raised as one :class:`~app_registry.errors.RegistryError`, each
entry naming ``file:line`` and the key path.  The proxy refuses to start on an
invalid registry (DESIGN decision 8); there is no partial load.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from app_registry.errors import Problem, RegistryError, format_path
from app_registry.lifecycle import parse_instant
from app_registry.models import (
    AppStatus,
    Attestation,
    AttestationStatus,
    Audience,
    BulkExport,
    ClientType,
    LaunchType,
    LifecycleEvent,
    Publisher,
    RateLimit,
    RegisteredApp,
    TokenLifetimes,
)
from app_registry.registry import Registry
from app_registry.validation import app_at, app_paths, validate_document
from app_registry.yaml_source import YamlDocument, parse_yaml

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class _Entry:
    """One app mapping found in a file, with where it came from."""

    file: str
    document: YamlDocument
    path: tuple[str | int, ...]

    @property
    def data(self) -> Mapping[str, Any]:
        return app_at(self.document.value, self.path)

    def line(self, *below: str | int) -> int | None:
        return self.document.line_of((*self.path, *below))


def _check_text(text: str, file: str) -> tuple[list[Problem], list[_Entry]]:
    document = parse_yaml(text)
    problems = [
        Problem(file, line, format_path(path), message) for path, line, message in document.problems
    ]
    if not document.problems or document.value is not None:
        for path, message in validate_document(document.value):
            problems.append(Problem(file, document.line_of(path), format_path(path), message))
    entries = [_Entry(file, document, path) for path in app_paths(document.value)]
    return problems, entries


def _duplicate_ids(entries: list[_Entry]) -> list[Problem]:
    first: dict[str, _Entry] = {}
    problems = []
    for entry in entries:
        client_id = entry.data.get("client_id")
        if not isinstance(client_id, str):
            continue
        if client_id in first:
            earlier = first[client_id]
            where = f"{earlier.file}:{earlier.line('client_id')}"
            path = format_path((*entry.path, "client_id"))
            message = f"duplicate client_id {client_id!r} (first defined at {where})"
            problems.append(Problem(entry.file, entry.line("client_id"), path, message))
        else:
            first[client_id] = entry
    return problems


def build_app(data: Mapping[str, Any], source: str = "") -> RegisteredApp:
    """A :class:`RegisteredApp` from one *validated* app mapping."""
    publisher = data.get("publisher")
    attestation = data.get("attestation")
    return RegisteredApp(
        client_id=data["client_id"],
        name=data["name"],
        client_type=ClientType(data["client_type"]),
        audience=Audience(data["audience"]),
        launch_types=frozenset(LaunchType(kind) for kind in data["launch_types"]),
        scopes=tuple(data["scopes"]),
        redirect_uris=tuple(data.get("redirect_uris", ())),
        launch_uri=data.get("launch_uri"),
        client_secret_hash=data.get("client_secret_hash"),
        jwks_json=json.dumps(data["jwks"], sort_keys=True) if "jwks" in data else None,
        jwks_uri=data.get("jwks_uri"),
        publisher=Publisher(publisher["name"], publisher.get("url")) if publisher else None,
        description=data.get("description"),
        logo_uri=data.get("logo_uri"),
        homepage_uri=data.get("homepage_uri"),
        privacy_policy_uri=data.get("privacy_policy_uri"),
        tos_uri=data.get("tos_uri"),
        contacts=tuple(data.get("contacts", ())),
        rate_limit=RateLimit(**data.get("rate_limit", {})),
        token_lifetimes=TokenLifetimes(**data.get("token_lifetimes", {})),
        bulk_export=BulkExport(
            frozenset(data.get("bulk_export", {}).get("groups", ())),
            bool(data.get("bulk_export", {}).get("all_patients", False)),
        ),
        attestation=None
        if attestation is None
        else Attestation(
            status=AttestationStatus(attestation["status"]),
            by=attestation.get("by"),
            date=_date(attestation.get("date")),
            url=attestation.get("url"),
        ),
        lifecycle=tuple(
            LifecycleEvent(
                AppStatus(event["status"]),
                parse_instant(event["date"]),
                event["by"],
                event.get("reason"),
            )
            for event in data.get("lifecycle", ())
        ),
        source=source,
    )


def _date(text: str | None) -> date | None:
    return None if text is None else parse_instant(text).date()


def _load(
    texts: list[tuple[str, str]], source: tuple[str, ...], problems: list[Problem]
) -> Registry:
    entries: list[_Entry] = []
    for file, text in texts:
        file_problems, file_entries = _check_text(text, file)
        problems.extend(file_problems)
        entries.extend(file_entries)
    problems.extend(_duplicate_ids(entries))
    if problems:
        order = {file: index for index, file in enumerate(source)}
        raise RegistryError(sorted(problems, key=lambda p: (order.get(p.file, -1), p.line or 0)))
    return Registry((build_app(e.data, f"{e.file}:{e.line()}") for e in entries), source=source)


def load_registry_text(text: str, filename: str = "<string>") -> Registry:
    """Load a registry from YAML text; ``filename`` is used in error messages."""
    return _load([(filename, text)], (filename,), [])


def _read(path: Path, label: str, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(label, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        )
    except OSError as exc:
        problems.append(Problem(label, None, "", f"cannot read: {exc.strerror or exc}"))
    return None


def load_registry(path: str | os.PathLike[str]) -> Registry:
    """Load and validate a registry file or folder; raise RegistryError listing every problem."""
    root = Path(path)
    label = os.fspath(path)
    problems: list[Problem] = []
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
        if not files:
            raise RegistryError([Problem(label, None, "", "folder has no *.yaml or *.yml files")])
        labelled = [(os.path.join(label, p.name), p) for p in files]
    elif root.is_file():
        labelled = [(label, root)]
    else:
        raise RegistryError([Problem(label, None, "", "no such file or folder")])
    texts = [
        (name, text) for name, file in labelled if (text := _read(file, name, problems)) is not None
    ]
    return _load(texts, tuple(name for name, _ in labelled), problems)
