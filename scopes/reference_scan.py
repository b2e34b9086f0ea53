"""The fast path of ``scopes.patient_refs``: Patient references read from serialised text.

The post-filter asks for the Patient references of every entry of every answer, and a
Python walk of ~50 nodes per resource was the cost of the whole filter.  ``orjson.dumps``
(C, compact, key order kept) gives the same tree as text, and one dump of a batch costs a
quarter of one dump per resource, so a batch is dumped once with a separator Reference
between resources, and one regex pass reads every reference value in order.

In that text ``"reference":"`` preceded by ``{`` or ``,`` and followed by a value without
escapes is a Reference.reference string (a quote inside a string is always escaped).
Whatever the text cannot settle alone goes to the exact walk (the answer is ``None``): a
``"type"`` string (Reference.type, or a logical reference), a local ``#`` reference (needs
the contained ids), an escaped or non-string ``reference``, a nested Patient, a Patient
root.  Results must equal the walk's; ``tests/scopes/test_patient_reference_walk.py``
checks that by property.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import orjson

from scopes.references import RefKind, parse_reference

# (ids of the Patients referenced, uninterpretable references) or None: "walk this one".
Scanned: TypeAlias = tuple[frozenset[str], tuple[str, ...]] | None
_PATIENT = "Patient"
_SEPARATOR_VALUE = "<smart-proxy: next resource>"
_SEPARATOR = {"reference": _SEPARATOR_VALUE}
_SEPARATOR_BYTES = b'"' + _SEPARATOR_VALUE.encode() + b'"'
_SEPARATOR_TEXT = b'{"reference":' + _SEPARATOR_BYTES + b"}"
# The quoted value; one character (the value's first) when the value is not a string or
# holds an escape: never empty, and never a newline (compact JSON has none outside strings,
# and escapes those inside).  A plain relative reference to a type other than Patient in
# any case (most of them: ``"Encounter/e1"``) cannot matter and is skipped inside the regex
# engine; ``scopes.references`` reads it the same.
# The lookbehind keeps only real keys (preceded by ``{`` or ``,``; a quote inside a string
# is escaped, so a key named ``x"reference`` cannot pass for one).
_VALUES = re.compile(
    rb'"reference":(?<=[{,]"reference":)'
    rb'(?!"(?!(?i:patient)/)[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,64}")("[^"\\]*"|[\s\S])')
_WALK_MARKERS = (b'"type":"', b'"resourceType":"Patient"')


def scan_resources(resources: Sequence[Mapping[str, Any]]) -> list[Scanned]:
    """``[scan_resource(r) for r in resources]``, with one serialisation of the batch."""
    count = len(resources)
    interleaved: list[object] = [_SEPARATOR] * (2 * count)
    interleaved[::2] = [
        _without_narrative(r) if type(r.get("text")) is dict else r for r in resources]
    try:
        text = orjson.dumps(interleaved)
    except TypeError:
        return [None] * count
    values = _VALUES.findall(text)
    if values.count(_SEPARATOR_BYTES) != count:  # a resource holds the separator itself
        return [scan_resource(r) for r in resources]
    # One resource's values, each followed by a newline, make one group; most groups are
    # alike (``"Patient/p1"\n``), so a group's result is read once and then looked up.
    groups = (_NEWLINE.join(values) + _NEWLINE).split(_SEPARATOR_BYTES + _NEWLINE)
    known, results = _GROUPS, []
    for group in groups[:count]:
        found = known.get(group, _UNKNOWN)
        results.append(_read_group(group) if found is _UNKNOWN else found)
    for index in _marked(text):
        results[index] = None
    return results


def _read_group(group: bytes) -> Scanned:
    if len(_GROUPS) >= 8192:
        _GROUPS.clear()
    found = _GROUPS[group] = _read_values(group.split(_NEWLINE)[:-1])
    return found


def _read_values(values: list[bytes]) -> Scanned:
    """The result for one resource's reference values (no separator among them)."""
    ids: set[str] = set()
    uninterpretable: list[str] = []
    for value in values:
        kind, detail = _CLASSES.get(value) or _classify(value)
        if kind == "patient":
            ids.add(detail)
        elif kind == "bad":
            uninterpretable.append(detail)
        elif kind == "walk":
            return None
    return frozenset(ids), tuple(uninterpretable)


def _marked(text: bytes) -> set[int]:
    """Indices of the resources whose text holds a walk marker."""
    positions = []
    for marker in _WALK_MARKERS:
        at = text.find(marker)
        while at != -1:
            positions.append(at)
            at = text.find(marker, at + 1)
    marked, index, previous = set(), 0, 0
    for position in sorted(positions):
        index += text.count(_SEPARATOR_TEXT, previous, position)
        previous = position
        marked.add(index)
    return marked


def _without_narrative(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    """``resource`` without its narrative XHTML: a string, so it holds no reference, and
    often the largest part of the text to scan.  ``text.extension`` is kept."""
    narrative = resource.get("text")
    if type(narrative) is dict and type(narrative.get("div")) is str:
        lean = {key: value for key, value in narrative.items() if key != "div"}
        return {**resource, "text": lean}
    return resource


def scan_resource(resource: Mapping[str, Any]) -> Scanned:
    """``(patient ids, uninterpretable)`` from the text of ``resource``; None: walk it."""
    try:
        text = orjson.dumps(_without_narrative(resource))
    except TypeError:
        return None
    if _WALK_MARKERS[0] in text or _WALK_MARKERS[1] in text:
        return None
    values = _VALUES.findall(text)
    if _SEPARATOR_BYTES in values:
        return None
    return _read_values(values)


_NEWLINE = b"\n"
_UNKNOWN = object()
_GROUPS: dict[bytes, Scanned] = {}
_CLASSES: dict[bytes, tuple[str, str]] = {}


def _classify(value: bytes) -> tuple[str, str]:
    """("patient", id) | ("other", "") | ("bad", text) | ("walk", ""); memoised (bounded).

    ``value`` is the quoted JSON string, or one character for a non-string or escaped value.
    """
    text = value[1:-1].decode()
    ref = parse_reference(text) if len(value) > 1 else None
    if len(value) == 1:
        found = "walk", ""
    elif ref is None:
        found = "bad", repr(text)
    elif ref.kind is RefKind.UUID:
        found = "bad", ref.id
    elif ref.kind is RefKind.CONTAINED:
        found = "walk", ""
    else:
        found = ("patient", ref.id) if ref.resource_type == _PATIENT else ("other", "")
    if len(_CLASSES) >= 8192:
        _CLASSES.clear()
    _CLASSES[value] = found
    return found

