"""Writes: the body rule and the stored read, applied before the call.

R4 http.html: create (#create, #ccreate), update (#update, update-as-create, #cond-update),
patch (#patch, JSON Patch only), delete (#delete), concurrency (#concurrency: ``ETag:
W/"versionId"``, ``If-Match``).  DESIGN decisions 5, 6; peer-gateways.md (c) 5, 6, 7, 9.

- the body passes ``scopes.write_checks.check_body`` before anything goes upstream, and
  under a patient grant the Binaries its attachments name must be ones the grant reads
  (``smart_proxy.write_binaries``);
- the stored version is read first (``smart_proxy.stored``) and must pass ``stored_passes``,
  else ``404`` as if absent; a patch or delete of an absent resource is ``404``, and so is,
  under a patient grant, an update of an absent or deleted one: update-as-create with a
  chosen id would tell "absent" (created) from "not yours" (404) and let an app take over
  another patient's deleted id; such an app creates with POST (a grant without a patient
  keeps update-as-create, the body rule is all it needs);
- a conditional write reads the matches of the narrowed criteria (search parameters only,
  ``scopes.writes``): several are ``412``; one is read by id, checked as stored, and the
  write goes to that instance (``Type/id``, pinned), so the server cannot act on another
  match; none, and an update creates (a body ``id`` is checked like an update of that id)
  while a delete is ``404``, as a match that is not the grant's would be;
- a patch is applied to the stored version (``422`` when a ``test`` fails, ``400`` when it
  does not apply), the result passes ``check_body``, the patch itself is forwarded;
- the write is pinned to the checked version with ``If-Match``, closing the window between
  check and write; an app's own ``If-Match`` naming another version is ``412`` here.

SECURITY: what goes upstream is the checked JSON serialised again, never the app's bytes (a
duplicate key read one way here and another upstream must not smuggle a reference).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

from scopes.decision import Decision
from scopes.interaction import Interaction
from scopes.request import FhirRequest

from .gate import GRANT, WITHHELD
from .grants import Grant
from .json_patch import JSON_PATCH
from .keys import CONFIG, UPSTREAM
from .outcome import BadRequest, PreconditionFailed
from .proxy.forward import is_json
from .stored import StoredReader
from .stored_checks import Pinned, WriteChecks
from .write_binaries import binary_pointers

__all__ = ["Outgoing", "Pinned", "WriteChecks", "checked_write", "inspected", "pin",
           "write_checks"]

FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True)
class Outgoing:
    """The upstream call made for one FHIR request."""

    tail: str
    query: str
    headers: CIMultiDict[str]
    body: bytes | None
    method: str | None = None  # None: the app's own method


def inspected(decision: Decision) -> bool:
    return (decision.body_rule is not None or decision.requires_stored_read
            or decision.post_checks.granular is not None)


async def checked_write(
    request: web.Request, fhir_request: FhirRequest, decision: Decision, outgoing: Outgoing
) -> Outgoing:
    """The single-request path: check, then the call to forward (module docstring)."""
    if not inspected(decision):
        return outgoing
    content = _content(fhir_request, outgoing.body)
    checks = write_checks(request, request[GRANT], outgoing.headers)
    pinned = await checks.check(fhir_request, decision, content, outgoing.query)
    headers = CIMultiDict(outgoing.headers)
    if_match = pin(headers.getall("If-Match", []), pinned.version)
    headers.popall("If-Match", None)
    if if_match is not None:
        headers["If-Match"] = if_match
    body = None
    if content is not None:
        body = orjson.dumps(content)
        patch = fhir_request.interaction is Interaction.PATCH
        headers["Content-Type"] = JSON_PATCH if patch else FHIR_JSON
    if pinned.instance is not None:
        return Outgoing(f"{fhir_request.resource_type}/{pinned.instance}", "", headers, body)
    if fhir_request.interaction is Interaction.UPDATE and fhir_request.is_conditional:
        # No match: the create a conditional update does then (http.html#cond-update), sent
        # as one, so a record matching meanwhile is never overwritten unchecked.
        return Outgoing(str(fhir_request.resource_type), "", headers, body, method="POST")
    return replace(outgoing, headers=headers, body=body)


def write_checks(request: web.Request, grant: Grant, headers: CIMultiDict[str]) -> WriteChecks:
    """The checks of one call's writes, reading with the proxy's own credential."""
    reader = StoredReader(request.app[UPSTREAM], headers,
                          request.app[CONFIG].limits.max_inspected_body_bytes)
    withheld_labels = request.get(WITHHELD, ())
    return WriteChecks(reader, withheld_labels,
                       binary_pointers(request, reader, grant, withheld_labels))


def pin(app_values: list[str], version: str | None) -> str | None:
    """The ``If-Match`` to forward for a write checked against ``version`` (R4 #concurrency)."""
    if len(app_values) > 1:
        raise BadRequest("Only one If-Match header is allowed.")
    theirs = app_values[0].strip() if app_values else None
    if version is None:
        return theirs
    if theirs is None or theirs == "*":
        return f'W/"{version}"'
    if theirs.removeprefix("W/").strip('"') == version:
        return theirs
    raise PreconditionFailed()


def _content(fhir_request: FhirRequest, body: bytes | None) -> Any:
    """The parsed body of a checked write (``None`` for delete)."""
    if fhir_request.interaction is Interaction.DELETE:
        return None
    media = fhir_request.content_type or ""
    if fhir_request.interaction is not Interaction.PATCH and not is_json(media):
        raise BadRequest("The body must be FHIR JSON (Content-Type: application/fhir+json).")
    if not body:
        raise BadRequest("The request needs a body.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("The body is not valid JSON.") from None
