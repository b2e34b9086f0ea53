"""Every reference to a Patient anywhere inside one resource.

The walk is generic, not a per-type table: every object at any depth (elements, backbone
elements, extensions, ``contained[]`` resources, resources nested in a Bundle or Parameters)
that has a ``reference`` key is read as a FHIR Reference (R4 references.html).  A per-type
path table is what let peers miss ``performer``, extensions and contained resources
(peer-gateways.md (c) 5 and 18).

What cannot be interpreted is reported, never dropped, so callers fail closed:

- ``uninterpretable``: a ``reference`` that is not a string or not one accepted form
  (``scopes.references``), a ``urn:uuid:`` (its target is not in this resource), a ``#id``
  naming no contained resource, a Reference whose ``type`` string names another type, and
  a Reference with ``type: "Patient"`` that names a patient only by ``identifier`` or
  ``display`` (a logical reference: some patient, identity unknown);
- ``embedded_patients``: the ids of Patient resources nested inside (``contained`` or
  otherwise): data about a patient that is, by construction, not the server's Patient/P.

``scopes.reference_scan`` answers the common cases from the serialised text, much faster;
whatever it cannot settle comes here, to the exact walk (``_walk``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scopes.reference_scan import Scanned, scan_resource, scan_resources
from scopes.references import RefKind, parse_reference

_PATIENT = "Patient"
_DEFINITION_BASE = "http://hl7.org/fhir/StructureDefinition/"  # Reference.type may be a URL
_PATIENT_TYPES = (_PATIENT, _DEFINITION_BASE + _PATIENT)


@dataclass(frozen=True, slots=True)
class PatientRefs:
    """What one resource says about patients.  ``ids``: the Patient ids it references."""

    ids: frozenset[str]
    uninterpretable: tuple[str, ...] = ()
    embedded_patients: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        """Every patient reference was understood and none is an embedded patient."""
        return not self.uninterpretable and not self.embedded_patients

    def only(self, patient: str) -> bool:
        """References ``patient`` at least once, and no other patient in any form."""
        return self.clean and self.ids == {patient}

    def none_but(self, patient: str) -> bool:
        """References no patient other than ``patient`` (and maybe not even it)."""
        return self.clean and self.ids <= {patient}


_NO_REFS = PatientRefs(frozenset())


class _Collector:
    __slots__ = ("contained_ids", "embedded", "ids", "local_targets", "uninterpretable")

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.uninterpretable: list[str] = []
        self.embedded: list[str] = []
        self.local_targets: list[str] = []
        self.contained_ids: set[str] = set()

    def visit(self, node: dict[str, Any]) -> None:
        ref = node.get("reference")
        if ref is not None and type(ref) is not dict:  # a dict: an element named "reference"
            self.reference(ref, node.get("type"))
        elif node.get("type") in _PATIENT_TYPES and ("identifier" in node or "display" in node):
            self.uninterpretable.append(f"logical Patient reference {node.get('identifier')!r}")
        for key, value in node.items():
            kind = type(value)
            if kind is dict:
                if value.get("resourceType") is not None:
                    self.resource(value)
                self.visit(value)
            elif kind is list:
                if key == "contained":
                    self.contained(value)
                self.visit_list(value)

    def visit_list(self, items: list[Any]) -> None:
        for item in items:
            kind = type(item)
            if kind is dict:
                if item.get("resourceType") is not None:
                    self.resource(item)
                self.visit(item)
            elif kind is list:
                self.visit_list(item)

    def resource(self, nested: dict[str, Any]) -> None:
        if nested.get("resourceType") == _PATIENT:
            self.embedded.append(str(nested.get("id", "")))

    def contained(self, items: list[Any]) -> None:
        for item in items:
            if type(item) is dict and isinstance(item.get("id"), str):
                self.contained_ids.add(item["id"])

    def reference(self, value: object, declared_type: object) -> None:
        ref = parse_reference(value)
        if ref is None:
            self.uninterpretable.append(repr(value))
        elif ref.kind is RefKind.RESOURCE:
            # Reference.type is a uri; a non-string there is noise next to a clear reference.
            if isinstance(declared_type, str) and (
                    declared_type.removeprefix(_DEFINITION_BASE) != ref.resource_type):
                self.uninterpretable.append(f"{value!r} declared as {declared_type!r}")
            elif ref.resource_type == _PATIENT:
                self.ids.add(ref.id)
        elif ref.kind is RefKind.UUID:
            self.uninterpretable.append(ref.id)
        elif ref.id:
            self.local_targets.append(ref.id)


def patient_references(resource: Mapping[str, Any]) -> PatientRefs:
    """Walk all of ``resource`` and report its Patient references (see the module docstring).

    The root's own ``id`` is not a reference: a Patient resource is identified by ``id``,
    and its ``link[].other`` references are reported like any other.
    """
    return _refs(scan_resource(resource)) or _walk(resource)


def patient_references_batch(resources: Sequence[Mapping[str, Any]]) -> list[PatientRefs]:
    """``[patient_references(r) for r in resources]``, in one serialisation pass."""
    return [
        _refs(scanned) or _walk(resource)
        for scanned, resource in zip(scan_resources(resources), resources, strict=True)
    ]


def _refs(scanned: Scanned) -> PatientRefs | None:
    if scanned is None:
        return None
    ids, uninterpretable = scanned
    if len(ids) == 1 and not uninterpretable:
        return _only(ids)
    return PatientRefs(ids, uninterpretable) if ids or uninterpretable else _NO_REFS


@lru_cache(maxsize=1024)
def _only(ids: frozenset[str]) -> PatientRefs:
    return PatientRefs(ids)


def _walk(resource: Mapping[str, Any]) -> PatientRefs:
    found = _Collector()
    found.visit(dict(resource) if not isinstance(resource, dict) else resource)
    for target in found.local_targets:
        if target not in found.contained_ids:
            found.uninterpretable.append(f"'#{target}' names no contained resource")
    return PatientRefs(
        frozenset(found.ids), tuple(found.uninterpretable), tuple(found.embedded))
