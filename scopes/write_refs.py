"""What a write body points at besides literal Patient references: read by the body rule.

Two things a patient-context write must not carry (DESIGN decision 5; R4 references.html,
datatypes.html#Attachment, binary.html):

- ``logical_references``: a Reference with no literal ``reference`` but an ``identifier``
  or a ``display`` (references.html#logical) whose declared ``type`` is absent or
  ``Patient``.  It may name any patient (``subject: {identifier: MRN-of-someone-else}``)
  and a server may resolve it; only a declared non-Patient type (``Organization``...)
  says it cannot.  A node is read as such a Reference when its keys are Reference keys
  only and its ``identifier`` is one Identifier (an object) or its ``display`` a string,
  and its ``type`` is not a CodeableConcept (an object: then it is not a Reference).
  This is the write rule only: upstream data read back keeps its logical references.
- ``binary_targets``: the Binaries on this server named by attachment URLs
  (``attachment_urls`` of DocumentReference, DiagnosticReport, Media, and every
  Attachment-shaped object anywhere): ``Binary/x``, versioned, absolute on one of
  ``local_bases`` (the upstream's base, the proxy's public FHIR base; compared by host,
  fail closed) or any other relative form.  A local URL that mentions a Binary in a form
  not read exactly here is ``unclear`` and refused by the caller.  URLs on other hosts
  and ``attachment.data`` are not this server's Binaries; but since a Binary's pointers
  are matched by ``(type, id)`` whatever the host (``scopes.references``), an external
  ``.../Binary/x`` is reported in ``foreign``: if this server has a Binary ``x``, it is
  checked like a local one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from scopes.binary_context import attachment_urls
from scopes.references import reference_key

_REFERENCE_KEYS = frozenset({"id", "extension", "reference", "type", "identifier", "display"})
_ATTACHMENT_KEYS = frozenset({"id", "extension", "contentType", "language", "data", "url",
                              "size", "hash", "title", "creation"})
_PATIENT_TYPES = ("Patient", "http://hl7.org/fhir/StructureDefinition/Patient")


@dataclass(frozen=True, slots=True)
class BinaryTargets:
    """``ids``: Binary ids on this server; ``unclear``: local URLs naming one unreadably;
    ``foreign``: ids of ``Binary/x`` URLs on other hosts."""

    ids: tuple[str, ...] = ()
    unclear: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()


def logical_references(resource: object) -> tuple[str, ...]:
    """The paths (``subject``, ``performer[0]``) of untyped or Patient logical references."""
    found: list[str] = []
    _walk_logical(resource, "", found)
    return tuple(found)


def _walk_logical(node: object, path: str, found: list[str]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk_logical(item, f"{path}[{index}]", found)
        return
    if not isinstance(node, Mapping):
        return
    if _is_logical(node):
        found.append(path or "(root)")
    for key, value in node.items():
        _walk_logical(value, f"{path}.{key}" if path else str(key), found)


def _is_logical(node: Mapping[str, Any]) -> bool:
    if "reference" in node or not node.keys() <= _REFERENCE_KEYS:
        return False
    if not isinstance(node.get("identifier"), Mapping) and not isinstance(node.get("display"), str):
        return False
    declared = node.get("type")
    if isinstance(declared, Mapping):
        return False  # a CodeableConcept ``type``: some other element, not a Reference
    return not isinstance(declared, str) or declared in _PATIENT_TYPES


def binary_targets(resource: object, local_bases: Collection[str]) -> BinaryTargets:
    """The Binaries on this server that ``resource``'s attachments name (module docstring)."""
    urls: list[object] = []
    _walk_attachments(resource, urls)
    hosts = {(urlsplit(base).hostname or "").lower() for base in local_bases}
    ids: dict[str, None] = {}
    foreign: dict[str, None] = {}
    unclear: dict[str, None] = {}
    for url in urls:
        if not isinstance(url, str):
            continue
        path = _local_path(url, hosts)
        if path is None:
            key = reference_key(url)
            if key is not None and key[0] == "Binary":
                foreign[key[1]] = None
            continue
        target = _binary_id(path)
        if target is False:
            unclear[url] = None
        elif target is not None:
            ids[target] = None
    return BinaryTargets(tuple(ids), tuple(unclear),
                         tuple(key for key in foreign if key not in ids))


def _walk_attachments(node: object, urls: list[object]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_attachments(item, urls)
        return
    if not isinstance(node, Mapping):
        return
    if isinstance(node.get("resourceType"), str):
        urls.extend(attachment_urls(node))
    if "url" in node and node.keys() <= _ATTACHMENT_KEYS:
        urls.append(node["url"])
    for value in node.values():
        _walk_attachments(value, urls)


def _local_path(url: str, hosts: set[str]) -> str | None:
    """The path of a URL on this server (relative, or on a local host); ``None`` otherwise."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None  # no client can follow it anywhere
    if not parts.scheme and not parts.netloc:
        return parts.path
    if parts.scheme.lower() not in ("", "http", "https"):
        return None
    if not host:
        return url  # "https:/x" or "https:\\x": lenient clients find a host in it
    return parts.path if host.lower() in hosts else None


def _binary_id(path: str) -> str | None | bool:
    """``Binary/[id]`` (``/_history/[vid]``) at the end of ``path``: the id; no Binary
    mentioned: ``None``; a Binary mentioned in any other form: ``False``."""
    segments = unquote(path).split("/")
    if not any("binary" in segment.lower() for segment in segments):
        return None
    versioned = len(segments) >= 4 and segments[-2] == "_history"
    tail = segments[-4:] if versioned else segments[-2:]
    key = reference_key("/".join(tail)) if tail[0] == "Binary" else None
    others = segments[: len(segments) - len(tail)]
    if key is None or any("binary" in segment.lower() for segment in others):
        return False
    return key[1]
