"""``scopes/`` and ``app_registry/`` stay pure: no I/O libraries, no clock.

The check walks every module's import statements (including imports inside
functions) with ``ast``, so a lazily imported ``aiohttp`` fails it as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_PACKAGES = ("scopes", "app_registry")
FORBIDDEN = {
    "aiohttp", "redis", "requests", "httpx", "urllib.request", "http.client", "socket",
    "asyncio", "subprocess", "smart_proxy", "authlib.integrations", "multiprocessing",
    "ssl", "selectors", "sqlite3", "time",
}
# Reading the clock is I/O too: time is passed in.
FORBIDDEN_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today")}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def clock_calls(tree: ast.AST) -> set[tuple[str, str]]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in FORBIDDEN_CALLS:
                found.add((node.value.id, node.attr))
    return found


def is_forbidden(name: str) -> bool:
    return any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_packages_import_no_io(package: str) -> None:
    files = modules(package)
    assert files, f"{package}/ has no modules"
    offences = []
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        offences += [f"{path.relative_to(ROOT)} imports {n}" for n in imported_names(tree) if is_forbidden(n)]
        offences += [f"{path.relative_to(ROOT)} reads the clock ({a}.{b})" for a, b in clock_calls(tree)]
    assert offences == []


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("import aiohttp", True),
        ("from redis.asyncio import Redis", True),
        ("def f():\n    import socket", True),
        ("from authlib.integrations.base_client import x", True),
        ("from authlib.jose import jwt", False),
        ("import yaml", False),
        ("x = datetime.now()", True),
        ("import timeit", False),
    ],
)
def test_checker_catches_what_it_should(source: str, bad: bool) -> None:
    tree = ast.parse(source)
    found = any(is_forbidden(n) for n in imported_names(tree)) or bool(clock_calls(tree))
    assert found is bad
