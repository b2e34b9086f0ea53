"""Registry load errors that point at a file, a line and a key path.

Every problem the loader finds -- YAML syntax, a schema violation, a cross-field
rule, a duplicate ``client_id`` or a duplicate YAML key -- becomes one
:class:`Problem`.  The loader collects all of them before raising a single
:class:`RegistryError`, so an admin fixes a registry in one pass, not one error
per start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

#: A location inside a parsed YAML document: mapping keys and list indexes.
KeyPath = tuple[str | int, ...]


class Problem(NamedTuple):
    """One error: ``file:line: path: message``.  ``line`` is 1-based, or None if unknown."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class RegistryError(Exception):
    """The app registry could not be loaded; ``errors`` holds every problem found."""

    def __init__(self, errors: Iterable[Problem]) -> None:
        unique: list[Problem] = []
        for problem in errors:
            if problem not in unique:
                unique.append(problem)
        if not unique:
            raise ValueError("RegistryError needs at least one problem")
        self.errors: list[Problem] = unique
        super().__init__("\n".join(str(problem) for problem in unique))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.errors)


def format_path(path: Sequence[str | int]) -> str:
    """Render a key path the way an admin reads it: ``apps[1].redirect_uris[0]``.

    >>> format_path(("apps", 1, "redirect_uris", 0))
    'apps[1].redirect_uris[0]'
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
