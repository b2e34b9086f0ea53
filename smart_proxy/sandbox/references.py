"""Reading, resolving and rewriting ``Reference.reference`` values.

A literal reference is relative (``Patient/123``), absolute (``{base}/Patient/123``), may
carry a version (``.../_history/2``), may point inside the resource (``#contained``) or be
a placeholder inside a Bundle (``urn:uuid:...``).  See
http://hl7.org/fhir/R4/references.html#literal and
http://hl7.org/fhir/R4/bundle.html#references.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .resource_types import RESOURCE_TYPES

_RELATIVE = re.compile(
    r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/(?P<vid>[A-Za-z0-9\-.]+))?"
)


@dataclass(frozen=True, slots=True)
class LocalRef:
    """A reference to a resource on this server."""

    resource_type: str
    id: str

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.id}"


def parse_reference(reference: str, base: str) -> LocalRef | None:
    """``Type/id`` of a relative reference or one absolute under ``base``; else ``None``."""
    text = reference
    if "://" in text:
        prefix = base.rstrip("/") + "/"
        if not text.startswith(prefix):
            return None
        text = text[len(prefix):]
    match = _RELATIVE.fullmatch(text)
    if match is None or match["type"] not in RESOURCE_TYPES:
        return None
    return LocalRef(match["type"], match["id"])


def reference_values(node: Any) -> Iterator[str]:
    """Every ``reference`` string at or below ``node`` (a Reference or an element holding one)."""
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key != "reference" and isinstance(value, (dict, list)):
                yield from reference_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from reference_values(item)


def local_references(resource: Mapping[str, Any], base: str) -> Iterator[LocalRef]:
    """All references in ``resource`` to resources on this server (contained ones skipped)."""
    for key, value in resource.items():
        if key == "contained":
            continue
        for ref in reference_values(value):
            local = parse_reference(ref, base)
            if local is not None:
                yield local


def rewrite_strings(node: Any, replace: Callable[[str, str], str | None], key: str = "") -> Any:
    """A deep copy of ``node`` where a string ``s`` under ``key`` becomes ``replace(key, s)``
    unless that is ``None``."""
    if isinstance(node, dict):
        return {k: rewrite_strings(value, replace, k) for k, value in node.items()}
    if isinstance(node, list):
        return [rewrite_strings(item, replace, key) for item in node]
    if isinstance(node, str):
        replaced = replace(key, node)
        return node if replaced is None else replaced
    return node


def rewrite_references(node: Any, replace: Callable[[str], str | None]) -> Any:
    """A deep copy of ``node`` where each ``Reference.reference`` may be replaced."""
    if isinstance(node, dict):
        out = {key: rewrite_references(value, replace) for key, value in node.items()}
        ref = node.get("reference")
        if isinstance(ref, str):
            replaced = replace(ref)
            if replaced is not None:
                out["reference"] = replaced
        return out
    if isinstance(node, list):
        return [rewrite_references(item, replace) for item in node]
    return node
