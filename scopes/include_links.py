"""Included resources keep their place only beside the matches they belong to.

A searchset's ``search.mode=include`` entries (``_include``, ``_revinclude``, with
``:iterate``) are there because of the matches.  When the post-filter removes a match
(another patient's, a withheld label, outside a granular scope), an include that belongs
only to that match would still say the match existed and what it pointed at: the
Patient of a withheld diagnosis, its asserter (peer-gateways (c) 1 and 19).  So once a
match is removed, an include is kept only when it is linked to what remains: referenced by
a kept entry (``_include``) or referencing one (``_revinclude``), transitively
(``:iterate``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scopes.references import reference_key

Key = tuple[str, str]


def is_include(entry: dict[str, Any]) -> bool:
    search = entry.get("search")
    return isinstance(search, dict) and search.get("mode") == "include"


def linked_includes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` without the includes no kept entry links to (module docstring)."""
    pending = [entry for entry in entries if is_include(entry)]
    if not pending:
        return entries
    kept = [entry for entry in entries if not is_include(entry)]
    keys = {key for entry in kept if (key := _key(entry)) is not None}
    pointed = {key for entry in kept for key in _references(entry.get("resource"))}
    changed = True
    while changed and pending:
        changed = False
        for entry in list(pending):
            key = _key(entry)
            out = set(_references(entry.get("resource")))
            if (key is not None and key in pointed) or out & keys:
                pending.remove(entry)
                kept.append(entry)
                if key is not None:
                    keys.add(key)
                pointed |= out
                changed = True
    dropped = {id(entry) for entry in pending}
    return [entry for entry in entries if id(entry) not in dropped]


def _key(entry: dict[str, Any]) -> Key | None:
    resource = entry.get("resource")
    if not isinstance(resource, dict):
        return None
    kind, rid = resource.get("resourceType"), resource.get("id")
    return (kind, rid) if isinstance(kind, str) and isinstance(rid, str) else None


def _references(node: object) -> Iterator[Key]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "reference" and isinstance(value, str):
                key = reference_key(value)
                if key is not None:
                    yield key
            elif isinstance(value, (dict, list)):
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
