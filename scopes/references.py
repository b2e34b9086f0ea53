"""FHIR reference values, normalised before any comparison.

Sources: FHIR R4 references.html#literal (a literal reference is ``Type/id``, optionally
under an absolute base and with ``/_history/vid``; ``#id`` points at a contained resource;
``urn:uuid:`` names a Bundle entry) and search.html#escaping (``\\,`` ``\\|`` ``\\$``
``\\\\`` inside search values; a comma separates OR alternatives).

Peers were bitten by comparing references as strings (peer-gateways.md (c) 11):
``Patient/12`` "contains" ``Patient/1``, ``123`` ≠ ``Patient/123``, absolute ≠ relative.
Here every form is reduced to a :class:`Ref` and compared by value; a value that is not
exactly one of the accepted forms gives ``None`` and the caller fails closed.

The host of an absolute reference is *not* part of the identity: the same upstream is known
under several bases (its own, internal names, the proxy's public one), so
``https://any.host/fhir/Patient/1`` is ``(Patient, 1)``.  The consequence is deliberate and
safe for confinement: a foreign-server reference can only ever match the id it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from urllib.parse import unquote

_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_UUID = re.compile(r"urn:uuid:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9\-.:\[\]]+((?:/[^/?#\s]+)+)")
_DOT_SEGMENTS = frozenset({".", ".."})


class RefKind(Enum):
    RESOURCE = "resource"  # (type, id) of a resource on a server
    UUID = "uuid"  # a Bundle-internal urn:uuid: placeholder
    CONTAINED = "contained"  # "#id" inside the same resource ("#" alone: the container)


@dataclass(frozen=True, slots=True)
class Ref:
    """One normalised reference.  ``resource_type`` is empty unless ``kind`` is RESOURCE;
    ``id`` is the resource id, the lower-cased ``urn:uuid:...`` text, or the local id."""

    kind: RefKind
    resource_type: str
    id: str

    @property
    def key(self) -> tuple[str, str]:
        return self.resource_type, self.id


def parse_reference(value: object, expected_type: str | None = None) -> Ref | None:
    """Normalise ``value``; ``None`` when it is not exactly one accepted form.

    Accepted: ``Type/id``, ``Type/id/_history/v``, ``http(s)://host/any/path/Type/id`` (also
    versioned), ``urn:uuid:<uuid>``, ``#id``, ``#``, and a bare ``id`` when ``expected_type``
    is given (a search parameter such as ``patient=123``).  Surrounding whitespace is ignored;
    the value is percent-decoded exactly once (``Patient%2F1`` → ``Patient/1``; a double
    encoding stays invalid).  With ``expected_type``, a reference to another type is ``None``.
    Cached: the same few references repeat across every entry of a Bundle.
    """
    return _parse_text(value, expected_type) if isinstance(value, str) else None


@lru_cache(maxsize=8192)
def _parse_text(value: str, expected_type: str | None) -> Ref | None:
    text = value.strip()
    if "%" in text:
        try:
            text = unquote(text, errors="strict")
        except UnicodeDecodeError:
            return None
    if not text or any(ch.isspace() for ch in text):
        return None
    ref = _parse(text, expected_type)
    if ref is None or expected_type is None:
        return ref
    return ref if ref.kind is RefKind.RESOURCE and ref.resource_type == expected_type else None


def reference_key(value: object, expected_type: str | None = None) -> tuple[str, str] | None:
    """``(type, id)`` of a resource reference; ``None`` for anything else (uuid, contained...)."""
    ref = parse_reference(value, expected_type)
    return ref.key if ref is not None and ref.kind is RefKind.RESOURCE else None


def _parse(text: str, expected_type: str | None) -> Ref | None:
    if text.startswith("#"):
        local = text[1:]
        return Ref(RefKind.CONTAINED, "", local) if not local or _ID.fullmatch(local) else None
    if text.startswith("urn:"):
        return Ref(RefKind.UUID, "", text.lower()) if _UUID.fullmatch(text) else None
    if "://" in text:
        match = _ABSOLUTE.fullmatch(text)
        if match is None:
            return None
        segments = match[1].split("/")[1:]
        if _DOT_SEGMENTS.intersection(segments):
            return None
        return _type_and_id(segments[-4:] if _is_versioned(segments) else segments[-2:])
    if expected_type is not None and _ID.fullmatch(text):
        return Ref(RefKind.RESOURCE, expected_type, text)
    segments = text.split("/")
    if len(segments) == 4 and _is_versioned(segments) or len(segments) == 2:
        return _type_and_id(segments)
    return None


def _is_versioned(segments: list[str]) -> bool:
    return len(segments) >= 4 and segments[-2] == "_history"


def _type_and_id(segments: list[str]) -> Ref | None:
    if len(segments) == 4 and not _ID.fullmatch(segments[3]):
        return None
    if len(segments) < 2 or not _TYPE.fullmatch(segments[0]) or not _ID.fullmatch(segments[1]):
        return None
    if segments[0] != "Patient" and segments[0].lower() == "patient":
        return None  # "PATIENT/1": no such type, but a lenient server might read it as Patient
    return Ref(RefKind.RESOURCE, segments[0], segments[1])


def split_or_list(value: str) -> tuple[str, ...]:
    """Split a search value on the commas that separate OR alternatives.

    ``\\,`` is a literal comma and becomes ``,``; every other escape (``\\|``, ``\\$``,
    ``\\\\``) is kept as written for the next stage (token or reference parsing), so
    ``a\\\\,b`` is ``a\\\\`` OR ``b``.  Empty alternatives are kept: the caller sees them and
    fails closed.  ``"a,b"`` → ``("a", "b")``; ``""`` → ``("",)``.
    """
    parts: list[str] = []
    current: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            following = next(chars, "")
            current.append("," if following == "," else ch + following)
        elif ch == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return tuple(parts)
