"""app_registry stays pure: no web framework, store, network, clock or subprocess imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "app_registry"
ALLOWED = {
    "__future__", "base64", "binascii", "collections", "dataclasses", "datetime", "difflib",
    "enum", "json", "os", "pathlib", "re", "types", "typing", "urllib",
    "yaml", "jsonschema", "app_registry",
}  # fmt: skip
MODULES = sorted(PACKAGE.glob("*.py"))


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_package_has_modules() -> None:
    assert {path.name for path in MODULES} >= {
        "__init__.py", "schema.py", "loader.py", "models.py", "registry.py", "vetting.py",
    }  # fmt: skip


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_imports_only_pure_modules(path: Path) -> None:
    assert imported_roots(path) <= ALLOWED


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_clock_reads(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
        assert call not in source
