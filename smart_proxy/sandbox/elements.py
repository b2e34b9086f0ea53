"""Walking resource elements by path and reading them as search values.

Paths are dotted element names from the resource root; a repeating element fans out
(``name.given`` yields every given name of every name).  The readers turn the datatypes a
parameter may point at into comparable values, per the datatype table of
http://hl7.org/fhir/R4/search.html#table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_NAME_PARTS = ("family", "given", "prefix", "suffix", "text")
_ADDRESS_PARTS = ("line", "city", "district", "state", "postalCode", "country", "text")


def values_at(resource: Mapping[str, Any], paths: Sequence[str]) -> list[Any]:
    """Every value found at any of ``paths``, in document order."""
    found: list[Any] = []
    for path in paths:
        nodes: list[Any] = [resource]
        for part in path.split("."):
            step: list[Any] = []
            for node in nodes:
                if isinstance(node, dict) and part in node:
                    value = node[part]
                    step.extend(value if isinstance(value, list) else [value])
            nodes = step
        found.extend(nodes)
    return found


@dataclass(frozen=True, slots=True)
class Token:
    """A coded value: ``system``/``code`` of a Coding, Identifier, code or boolean."""

    system: str | None
    code: str | None
    text: str | None = None


def tokens(value: Any) -> Iterator[Token]:
    if isinstance(value, bool):
        yield Token(None, "true" if value else "false")
    elif isinstance(value, str):
        yield Token(None, value)
    elif isinstance(value, dict):
        if "coding" in value or ("text" in value and "value" not in value):
            for coding in value.get("coding", []):
                yield from tokens(coding)
            if value.get("text"):
                yield Token(None, None, value["text"])
        elif "code" in value:
            yield Token(value.get("system"), value.get("code"), value.get("display"))
        elif "value" in value:
            yield Token(value.get("system"), str(value["value"]), None)


def strings(value: Any) -> Iterator[str]:
    """The searchable text of a string, HumanName or Address."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        parts = _NAME_PARTS if ("family" in value or "given" in value) else _ADDRESS_PARTS
        for part in parts:
            item = value.get(part)
            for text in item if isinstance(item, list) else [item]:
                if isinstance(text, str):
                    yield text


def fold(text: str) -> str:
    """Case- and accent-insensitive form used by string search (search.html#string)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
