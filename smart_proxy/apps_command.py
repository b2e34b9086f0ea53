"""``smart-proxy apps validate PATH`` and ``smart-proxy apps list``: the admin's view of the registry."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from app_registry import Registry, RegistryError, Severity, load_registry, vet

from .config import ConfigError, load_config


def add_apps_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    apps = sub.add_parser("apps", help="validate and list the app registry")
    apps_sub = apps.add_subparsers(required=True, metavar="ACTION")
    validate = apps_sub.add_parser("validate", help="validate a registry file or folder")
    validate.add_argument("path", metavar="PATH")
    validate.set_defaults(command=_validate)
    listing = apps_sub.add_parser("list", help="list registered apps with status and findings")
    source = listing.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", metavar="FILE", help="the registry named by this configuration")
    source.add_argument("path", nargs="?", metavar="PATH", help="a registry file or folder")
    listing.set_defaults(command=_list)


def _load(path: Path) -> Registry | None:
    try:
        return load_registry(path)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return None


def _validate(args: argparse.Namespace) -> int:
    registry = _load(Path(args.path))
    if registry is None:
        return 1
    warnings = sum(1 for app in registry.values() for f in vet(app) if f.severity is Severity.WARNING)
    print(f"{args.path}: OK, {len(registry)} app(s), {warnings} vetting warning(s)")
    return 0


def _list(args: argparse.Namespace) -> int:
    if args.config:
        try:
            path = load_config(args.config).apps
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
    else:
        path = Path(args.path)
    registry = _load(path)
    if registry is None:
        return 1
    now = datetime.now(UTC)
    for app in registry.values():
        status = app.status_at(now).value
        launches = ",".join(sorted(kind.value for kind in app.launch_types))
        print(f"{app.client_id:<28} {status:<10} {app.client_type.value:<24} {launches:<20} {app.name}")
        for finding in vet(app):
            print(f"    {finding.severity.value}: {finding.message}")
    return 0
