"""Writes: the body rule and the stored read, applied before the call.

R4 http.html: create (#create, #ccreate), update (#update, update-as-create, #cond-update),
patch (#patch, JSON Patch only), delete (#delete), concurrency (#concurrency: ``ETag:
W/"versionId"``, ``If-Match``).  DESIGN decisions 5, 6; peer-gateways.md (c) 5, 6, 7, 9.

- the body passes ``scopes.write_checks.check_body`` before anything goes upstream;
- the stored version is read first (``smart_proxy.stored``) and must pass ``stored_passes``,
  else ``404`` as if absent; an update of an absent resource is an update-as-create (the
  body rule is all it needs), a patch or delete of one is ``404``;
- a conditional write reads the matches of the narrowed criteria: none, and an update
  creates (a body ``id`` naming an existing resource is checked like an update of it) while
  a delete deletes nothing; several: ``412``; one is read by id and checked as stored;
- a patch is applied to the stored version (``422`` when a ``test`` fails, ``400`` when it
  does not apply), the result passes ``check_body``, the patch itself is forwarded;
- the write is pinned to the checked version with ``If-Match``, closing the window between
  check and write; an app's own ``If-Match`` naming another version is ``412`` here.

SECURITY: what goes upstream is the checked JSON serialised again, never the app's bytes (a
duplicate key read one way here and another upstream must not smuggle a reference).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

from scopes.decision import ALL_PATIENT_REFS_MUST_BE_P, Decision
from scopes.interaction import Interaction
from scopes.request import FhirRequest
from scopes.write_checks import check_body, stored_passes

from .gate import WITHHELD
from .json_patch import JSON_PATCH, PatchError, PatchFailed, apply_patch
from .keys import CONFIG, UPSTREAM
from .outcome import (
    BadGateway,
    BadRequest,
    InternalError,
    MultipleMatches,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    error_for_status,
)
from .proxy.forward import is_json
from .stored import Resource, StoredReader

FHIR_JSON = "application/fhir+json"
_ID = re.compile(r"(?!\.+$)[A-Za-z0-9\-.]{1,64}")  # a FHIR id, and no dot segment


@dataclass(frozen=True)
class Outgoing:
    """The upstream call made for one FHIR request."""

    tail: str
    query: str
    headers: CIMultiDict[str]
    body: bytes | None


@dataclass(frozen=True)
class Pinned:
    """What the checks found: the version to pin, and the instance a conditional patch hits."""

    version: str | None = None
    instance: str | None = None


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
    reader = StoredReader(request.app[UPSTREAM], outgoing.headers,
                          request.app[CONFIG].limits.max_inspected_body_bytes)
    checks = WriteChecks(reader, request.get(WITHHELD, ()))
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
    return replace(outgoing, headers=headers, body=body)


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


class WriteChecks:
    """The checks of one call's writes; ``reader`` makes the stored reads."""

    def __init__(self, reader: StoredReader, withheld_labels: Collection[str]) -> None:
        self._reader = reader
        self._withheld = tuple(withheld_labels)

    async def check(
        self, fhir_request: FhirRequest, decision: Decision, content: Any, query: str,
        internal: Mapping[str, str] | None = None,
    ) -> Pinned:
        """``content``: the resource (create, update) or JSON Patch; ``query``: the narrowed
        criteria of a conditional write; ``internal``: a transaction's ``urn:uuid`` targets."""
        rtype, rid = str(fhir_request.resource_type), fhir_request.resource_id
        interaction = fhir_request.interaction
        stored_read = decision.requires_stored_read
        if interaction is Interaction.CREATE:
            _check_body(decision, rtype, content, None, internal)
            return Pinned()
        if interaction is Interaction.UPDATE:
            _check_body(decision, rtype, content, rid, internal)
            if not stored_read:
                return Pinned()
            if rid is None:
                return await self._conditional_update(decision, rtype, content, query)
            return Pinned(self._checked(decision, rtype, await self._reader.read(rtype, rid)))
        if interaction is Interaction.PATCH:
            stored = await (self._reader.read(rtype, rid) if rid is not None
                            else self._one_match(rtype, query))
            if stored is None:
                raise NotFound()
            version = self._checked(decision, rtype, stored)
            _check_body(decision, rtype, _patched(stored, content), _id_of(stored), internal)
            return Pinned(version, None if rid is not None else _id_of(stored))
        if interaction is Interaction.DELETE:
            if not stored_read:
                return Pinned()
            stored = await (self._reader.read(rtype, rid) if rid is not None
                            else self._one_match(rtype, query))
            if stored is None and rid is not None:
                raise NotFound()
            return Pinned(self._checked(decision, rtype, stored))
        raise BadRequest("Not a write.")

    async def _conditional_update(
        self, decision: Decision, rtype: str, content: Mapping[str, Any], query: str
    ) -> Pinned:
        stored = await self._one_match(rtype, query)
        body_id = content.get("id")
        if stored is not None:
            version = self._checked(decision, rtype, stored)
            if body_id is not None and body_id != stored.get("id"):
                raise BadRequest("The body's id is not the id of the resource the criteria match.")
            return Pinned(version)
        if body_id is None:
            return Pinned()
        if not isinstance(body_id, str) or not _ID.fullmatch(body_id):
            raise BadRequest("The body's id is not a valid FHIR id.")
        return Pinned(self._checked(decision, rtype, await self._reader.read(rtype, body_id)))

    async def _one_match(self, rtype: str, query: str) -> Resource | None:
        matches = await self._reader.search(rtype, query)
        if matches.count > 1:
            raise MultipleMatches()
        if matches.count == 0:
            return None
        # The search may be shaped (_elements, _summary): what is checked is a full read.
        return await self._reader.read(rtype, _id_of(matches.resources[0]))

    def _checked(self, decision: Decision, rtype: str, stored: Resource | None) -> str | None:
        """The checked version's ``versionId``; ``None`` when absent (nothing to pin)."""
        if stored is None:
            return None
        checks = decision.post_checks
        if not stored_passes(stored, resource_type=rtype, patient=checks.confine_to_patient,
                             granular=checks.granular, withheld_labels=self._withheld):
            raise NotFound()  # SECURITY: not yours looks exactly like absent (decision 6)
        version = (stored.get("meta") or {}).get("versionId")
        return version if isinstance(version, str) and _ID.fullmatch(version) else None


def _check_body(
    decision: Decision, rtype: str, resource: object, resource_id: str | None,
    internal: Mapping[str, str] | None,
) -> None:
    patient = None
    if decision.body_rule is not None:
        patient = decision.post_checks.confine_to_patient
        if decision.body_rule != ALL_PATIENT_REFS_MUST_BE_P or patient is None:
            raise InternalError()  # SECURITY: a rule this code does not know is never skipped
    verdict = check_body(resource, resource_type=rtype, patient=patient,
                         granular=decision.post_checks.granular, resource_id=resource_id,
                         internal=internal)
    if not verdict.ok:
        raise error_for_status(verdict.status, verdict.message)


def _patched(stored: Resource, operations: Any) -> Any:
    try:
        return apply_patch(stored, operations)
    except PatchFailed as exc:
        raise Unprocessable(f"The JSON Patch cannot be applied: {exc}") from None
    except PatchError as exc:
        raise BadRequest(f"The JSON Patch does not apply: {exc}") from None


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


def _id_of(resource: Resource) -> str:
    resource_id = resource.get("id")
    if not isinstance(resource_id, str) or not _ID.fullmatch(resource_id):
        raise BadGateway("The FHIR server returned a resource without a valid id.")
    return resource_id
