"""JSON Patch (RFC 6902) over JSON Pointer (RFC 6901), as FHIR's patch uses it.

http://hl7.org/fhir/R4/http.html#patch: a ``PATCH`` with ``application/json-patch+json``.
Operations: add, remove, replace, move, copy, test; they apply in order to a copy and all
or nothing.  A failing ``test`` raises :class:`PatchFailed` (the server answers 422); a
malformed document or a path that does not resolve raises :class:`PatchError` (400).

JSON Pointer is read strictly (RFC 6901 section 3 and 4): ``~`` is only ``~0`` or ``~1``,
and an array index is ASCII ``0|[1-9][0-9]*`` (``str.isdigit`` would take ``'١'`` for 1 and
choke on ``'²'``).  Whatever the input, the only exception that leaves ``apply_patch`` is
:class:`PatchError`.

Shared by the sandbox server, which applies patches, and the proxy, which applies an app's
patch to the stored version to check the result before forwarding it (``smart_proxy.writes``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

JSON_PATCH = "application/json-patch+json"
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")  # RFC 6901 section 4: ASCII digits only
_BAD_ESCAPE = re.compile(r"~(?![01])")


class PatchError(ValueError):
    """The patch document is malformed or does not apply (RFC 6902 section 5)."""


class PatchFailed(PatchError):
    """A ``test`` operation did not hold."""


class _BadPointer(PatchError):
    """A pointer that is not RFC 6901 syntax: a malformed patch, even in a ``test``."""


def apply_patch(document: Any, operations: Any) -> Any:
    """A patched copy of ``document``; ``document`` itself is untouched."""
    if not isinstance(operations, list):
        raise PatchError("a JSON Patch document is an array of operations")
    try:
        doc = orjson.loads(orjson.dumps(document))
        for index, op in enumerate(operations):
            if not isinstance(op, dict) or not isinstance(op.get("op"), str):
                raise PatchError(f"operation {index} has no 'op'")
            doc = _apply(doc, op, index)
    except PatchError:
        raise
    except (ValueError, TypeError, LookupError, RecursionError) as exc:
        # SECURITY: a malformed patch is the client's error (400), never a server fault.
        raise PatchError(f"the patch cannot be applied: {type(exc).__name__}") from None
    return doc


def _apply(doc: Any, op: dict[str, Any], index: int) -> Any:
    name = op["op"]
    path = _pointer(op, "path", index)
    if name == "add":
        return _add(doc, path, _value(op, index))
    if name == "remove":
        return _remove(doc, path)[0]
    if name == "replace":
        if not path:
            return _value(op, index)
        doc, _ = _remove(doc, path)
        return _add(doc, path, _value(op, index))
    if name in ("move", "copy"):
        source = _pointer(op, "from", index)
        if name == "move" and path[: len(source)] == source and path != source:
            raise PatchError(f"operation {index}: cannot move a value into itself")
        value = _get(doc, source)
        if name == "move":
            doc, _ = _remove(doc, source)
        return _add(doc, path, orjson.loads(orjson.dumps(value)))
    if name == "test":
        expected = _value(op, index)
        try:
            actual = _get(doc, path)
        except _BadPointer:
            raise
        except PatchError:
            raise PatchFailed(
                f"operation {index}: test failed, {op['path']!r} does not exist") from None
        if not _equal(actual, expected):
            raise PatchFailed(f"operation {index}: test failed at {op['path']!r}")
        return doc
    raise PatchError(f"operation {index}: unknown op {name!r}")


def _equal(left: Any, right: Any) -> bool:
    """JSON equality (RFC 6902 section 4.6): booleans are not numbers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    numbers = isinstance(left, (int, float)) and isinstance(right, (int, float))
    return (numbers or type(left) is type(right)) and left == right


def _value(op: dict[str, Any], index: int) -> Any:
    if "value" not in op:
        raise PatchError(f"operation {index} ({op['op']}) needs a 'value'")
    return op["value"]


def _pointer(op: dict[str, Any], member: str, index: int) -> list[str]:
    text = op.get(member)
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise PatchError(f"operation {index}: {member!r} must be a JSON Pointer")
    if not text:
        return []
    if _BAD_ESCAPE.search(text):
        raise _BadPointer(f"operation {index}: {member!r} has an escape other than ~0 or ~1")
    return [part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/")]


def _container(doc: Any, path: Sequence[str]) -> Any:
    return _get(doc, path[:-1])


def _get(doc: Any, path: Sequence[str]) -> Any:
    node = doc
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list):
            node = node[_index(node, part, allow_end=False)]
        else:
            raise PatchError(f"path /{'/'.join(path)} does not exist")
    return node


def _index(items: list[Any], part: str, *, allow_end: bool) -> int:
    if allow_end and part == "-":
        return len(items)
    if not _ARRAY_INDEX.fullmatch(part):
        raise _BadPointer(f"{part!r} is not an array index")
    position = int(part)
    if position > len(items) or (position == len(items) and not allow_end):
        raise PatchError(f"array index {position} is out of range")
    return position


def _add(doc: Any, path: Sequence[str], value: Any) -> Any:
    if not path:
        return value
    parent = _container(doc, path)
    if isinstance(parent, dict):
        parent[path[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, path[-1], allow_end=True), value)
    else:
        raise PatchError(f"cannot add below a scalar at /{'/'.join(path[:-1])}")
    return doc


def _remove(doc: Any, path: Sequence[str]) -> tuple[Any, Any]:
    if not path:
        raise PatchError("cannot remove the whole document")
    parent = _container(doc, path)
    if isinstance(parent, dict) and path[-1] in parent:
        return doc, parent.pop(path[-1])
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, path[-1], allow_end=False))
    raise PatchError(f"path /{'/'.join(path)} does not exist")
