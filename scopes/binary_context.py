"""Who speaks for a Binary: its ``securityContext`` and the resources whose attachment it is.

A Binary has no subject and sits in no compartment, so a patient grant cannot judge it by
itself; peers that let ``Binary/[id]`` through on a type scope opened every attachment on
the server (peer-gateways (c) 22).  FHIR R4 binary.html: "``securityContext`` ... the
Binary resource is subject to the same access control as the resource it references".
US Core clinical notes put the content in ``DocumentReference.content.attachment.url``
and ``DiagnosticReport.presentedForm.url``.

The rule, deny by default, for a grant confined to a patient:

1. a Binary with a ``securityContext`` is released only if the resource it names passes the
   grant's check (an unreadable or unparseable context refuses): the Binary's own word on
   whose it is can never be overridden by a document pointing at it, since an app may
   write such a document itself;
2. *every* resource of the patient that points at the Binary (attachment URLs) must pass
   too, so a note the patient withheld (sensitive label, unticked category) keeps its
   attachment withheld;
3. a Binary without ``securityContext`` is released only through at least one such
   pointing resource; with neither it is not found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from scopes.references import reference_key

Resource = Mapping[str, Any]
#: Resource types that carry attachments pointing at Binaries, searched by patient.
POINTER_TYPES: tuple[str, ...] = ("DocumentReference", "DiagnosticReport")


def attachment_urls(resource: Resource) -> list[object]:
    """The attachment URLs of a DocumentReference, DiagnosticReport or Media."""
    kind = resource.get("resourceType")
    if kind == "DocumentReference":
        holders = [c.get("attachment") for c in _list(resource.get("content")) if _is_map(c)]
    elif kind == "DiagnosticReport":
        holders = _list(resource.get("presentedForm"))
    elif kind == "Media":
        holders = [resource.get("content")]
    else:
        return []
    return [h.get("url") for h in holders if _is_map(h)]


def points_to(resource: Resource, binary_id: str) -> bool:
    """Whether one of ``resource``'s attachments is ``Binary/[binary_id]`` (any URL form)."""
    return any(reference_key(url) == ("Binary", binary_id) for url in attachment_urls(resource))


def context_key(binary: Resource | None, header: str | None) -> tuple[str, str] | None:
    """The ``(type, id)`` of the Binary's ``securityContext``, from its JSON or the
    ``X-Security-Context`` header of a raw read; ``None`` when absent or unreadable."""
    if binary is not None:
        context = binary.get("securityContext")
        return reference_key(context.get("reference")) if _is_map(context) else None
    return reference_key(header.strip()) if header else None


def has_context(binary: Resource | None, header: str | None) -> bool:
    """Whether the Binary declares a ``securityContext`` at all (readable or not)."""
    if binary is not None:
        return binary.get("securityContext") is not None
    return bool(header and header.strip())


def binary_readable(
    pointing: Iterable[Resource], declared: bool, context: Resource | None,
    check: Callable[[Any], bool],
) -> bool:
    """The rule above: ``pointing`` are the patient's resources that point at the Binary,
    ``declared`` whether it has a ``securityContext``, ``context`` the resource that names
    (``None`` when absent upstream or not parseable)."""
    if declared and (context is None or not check(context)):
        return False
    found = list(pointing)
    if not all(check(resource) for resource in found):
        return False
    return declared or bool(found)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_map(value: object) -> bool:
    return isinstance(value, Mapping)
