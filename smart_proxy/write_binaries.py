"""Attachments of a write that name a Binary: the grant must be able to read that Binary.

A Binary has no subject; the read side releases it to a patient grant through the resources
that point at it and its ``securityContext`` (``scopes.binary_context``, R4 binary.html:
"the Binary resource is subject to the same access control as the resource it
references").  So a write that makes a patient's DocumentReference (DiagnosticReport
``presentedForm``, Media ``content``, any Attachment) point at ``Binary/x`` must not be
a way to adopt someone else's Binary.  Under a patient grant, for every Binary of this
server the body's attachments name (``scopes.write_refs.binary_targets``):

- the Binary must exist upstream, carry no withheld label, and its ``securityContext``
  must name a resource this grant could read (the grant's read post-check: type scope,
  compartment, granular filters, withheld labels);
- an attachment URL on another host whose ``Binary/[id]`` is a Binary of this server is
  held to the same rule (pointers are matched by type and id, whatever the host); one
  this server does not have is not ours to judge;
- otherwise ``403``: "The attachment names a Binary this grant cannot read."

The reads are the proxy's own stored reads (``smart_proxy.stored``, its own credential).
Attachment ``data`` and external URLs need nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from aiohttp import web

from scopes.binary_context import context_key
from scopes.decision import Decision
from scopes.labels import normalise_labels, withheld
from scopes.write_refs import binary_targets

from .enforce import grant_check
from .grants import Grant
from .keys import ENDPOINTS, UPSTREAM
from .outcome import Forbidden
from .stored import Resource, StoredReader

CANNOT_READ = "The attachment names a Binary this grant cannot read."
Readable = Callable[[Decision], Callable[[Any], bool]]


class BinaryPointers:
    """The check above for one call; ``readable(decision)`` is the grant's read check."""

    def __init__(self, reader: StoredReader, local_bases: Collection[str], readable: Readable,
                 withheld_labels: Collection[str]) -> None:
        self._reader = reader
        self._bases = tuple(local_bases)
        self._readable = readable
        self._withheld = normalise_labels(withheld_labels)

    async def check(self, decision: Decision, resource: object) -> None:
        """Raise ``Forbidden`` unless every Binary ``resource`` names passes (docstring)."""
        if decision.body_rule is None or decision.post_checks.confine_to_patient is None:
            return
        targets = binary_targets(resource, self._bases)
        if targets.unclear:
            raise Forbidden(CANNOT_READ)
        if not targets.ids and not targets.foreign:
            return
        check = self._readable(decision)
        for binary_id in targets.ids:
            binary = await self._reader.read("Binary", binary_id)
            if binary is None or not await self._vouched(binary, binary_id, check):
                raise Forbidden(CANNOT_READ)
        for binary_id in targets.foreign:
            binary = await self._reader.read("Binary", binary_id)
            if binary is not None and not await self._vouched(binary, binary_id, check):
                raise Forbidden(CANNOT_READ)

    async def _vouched(self, binary: Resource, binary_id: str,
                       check: Callable[[Any], bool]) -> bool:
        if binary.get("resourceType") != "Binary" or binary.get("id") != binary_id:
            return False
        if self._withheld and withheld(binary, self._withheld):
            return False
        key = context_key(binary, None)
        if key is None:
            return False
        context = await self._reader.read(*key)
        if context is None or (context.get("resourceType"), context.get("id")) != key:
            return False
        return bool(check(context))


def binary_pointers(
    request: web.Request, reader: StoredReader, grant: Grant, withheld_labels: Collection[str]
) -> BinaryPointers:
    """The check for one call of ``grant``: this server is the upstream and the proxy's
    public FHIR base."""
    app = request.app
    bases = (str(app[UPSTREAM].base), str(app[ENDPOINTS].fhir_base))

    def readable(decision: Decision) -> Callable[[Any], bool]:
        return grant_check(request, grant, decision, "r")

    return BinaryPointers(reader, bases, readable, withheld_labels)
