"""Who speaks for a Binary: its ``securityContext`` and the resources whose attachment it is.

A Binary has no subject and sits in no compartment, so a patient grant cannot judge it by
itself; peers that let ``Binary/[id]`` through on a type scope opened every attachment on
the server (peer-gateways (c) 22).  FHIR R4 binary.html: "``securityContext`` ... the
Binary resource is subject to the same access control as the resource it references".
US Core clinical notes put the content in ``DocumentReference.content.attachment.url``
and ``DiagnosticReport.presentedForm.url``.

The rule, deny by default, for a grant confined to a patient:

1. the resources of the patient that point at the Binary (attachment URLs) decide when
   there are any: *every* one must pass the grant's check, so a note the patient withheld
   (sensitive label, unticked category) keeps its attachment withheld too, whatever the
   Binary's own ``securityContext`` says;
2. otherwise the ``securityContext`` must name a resource that passes the grant's check;
3. otherwise (no pointer, no context, or a context that cannot be read) it is not found.
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


def binary_readable(
    pointing: Iterable[Resource], context: Resource | None, check: Callable[[Any], bool]
) -> bool:
    """The rule above: ``pointing`` are the patient's resources that point at the Binary,
    ``context`` the resource its ``securityContext`` names (``None`` if none or absent)."""
    found = list(pointing)
    if found:
        return all(check(resource) for resource in found)
    return context is not None and bool(check(context))


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_map(value: object) -> bool:
    return isinstance(value, Mapping)
