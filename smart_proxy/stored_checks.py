"""The checks of one call's writes against the body and the stored version
(``smart_proxy.writes`` has the rules; R4 http.html#update, #patch, #delete, #cond-update).

``WriteChecks.check`` runs the body rule (``scopes.write_checks.check_body``) and the
attachment rule (``smart_proxy.write_binaries``) on what would be written, reads the stored
version or the one match of a conditional write (``smart_proxy.stored``) and answers what
to pin: the checked ``versionId`` and, for a conditional write, the instance to send it to.
Every failure is raised as the refusal to give; "not yours" is ``NotFound``, like absent.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from scopes.decision import ALL_PATIENT_REFS_MUST_BE_P, Decision
from scopes.interaction import Interaction
from scopes.request import FhirRequest
from scopes.write_checks import check_body, labels_kept, stored_passes

from .json_patch import PatchError, PatchFailed, apply_patch
from .outcome import (
    BadGateway,
    BadRequest,
    Forbidden,
    InternalError,
    MultipleMatches,
    NotFound,
    Unprocessable,
    error_for_status,
)
from .stored import Resource, StoredReader
from .write_binaries import BinaryPointers

_ID = re.compile(r"(?!\.+$)[A-Za-z0-9\-.]{1,64}")  # a FHIR id, and no dot segment


@dataclass(frozen=True)
class Pinned:
    """What the checks found: the version to pin, and the instance a conditional write hits."""

    version: str | None = None
    instance: str | None = None


class WriteChecks:
    """The checks of one call's writes; ``reader`` makes the stored reads."""

    def __init__(self, reader: StoredReader, withheld_labels: Collection[str],
                 binaries: BinaryPointers) -> None:
        self._reader = reader
        self._withheld = tuple(withheld_labels)
        self._binaries = binaries

    async def check(
        self, fhir_request: FhirRequest, decision: Decision, content: Any, query: str,
        internal: Mapping[str, str] | None = None,
    ) -> Pinned:
        """``content``: the resource (create, update) or JSON Patch; ``query``: the narrowed
        criteria of a conditional write; ``internal``: a transaction's ``urn:uuid`` targets."""
        rtype, rid = str(fhir_request.resource_type), fhir_request.resource_id
        interaction = fhir_request.interaction
        if self._withheld and (fhir_request.is_conditional
                               or fhir_request.if_none_exist is not None):
            # Whether criteria match (201 or 200, 404 or 412) would tell of withheld records.
            raise BadRequest("Conditional writes are not available while the patient "
                             "withholds sensitive records from this app.")
        stored_read = decision.requires_stored_read
        if interaction is Interaction.CREATE:
            await self._body(decision, rtype, content, None, internal)
            return Pinned()
        if interaction is Interaction.UPDATE:
            await self._body(decision, rtype, content, rid, internal)
            if not stored_read:
                return Pinned()
            if rid is None:
                return await self._conditional_update(decision, rtype, content, query)
            stored = await self._existing(decision, rtype, rid)
            _labels_kept(stored, content)
            return Pinned(self._checked(decision, rtype, stored))
        if interaction is Interaction.PATCH:
            stored = await (self._reader.read(rtype, rid) if rid is not None
                            else self._one_match(rtype, query))
            if stored is None:
                raise NotFound()
            version = self._checked(decision, rtype, stored)
            result = _patched(stored, content)
            await self._body(decision, rtype, result, _id_of(stored), internal)
            _labels_kept(stored, result)
            return Pinned(version, None if rid is not None else _id_of(stored))
        if interaction is Interaction.DELETE:
            if not stored_read:
                return Pinned()
            stored = await (self._reader.read(rtype, rid) if rid is not None
                            else self._one_match(rtype, query))
            if stored is None:
                raise NotFound()  # SECURITY: no match reads like a match not yours
            return Pinned(self._checked(decision, rtype, stored),
                          None if rid is not None else _id_of(stored))
        raise BadRequest("Not a write.")

    async def _body(
        self, decision: Decision, rtype: str, resource: object, resource_id: str | None,
        internal: Mapping[str, str] | None,
    ) -> None:
        _check_body(decision, rtype, resource, resource_id, internal)
        await self._binaries.check(decision, resource)

    async def readable(self, decision: Decision, rtype: str, rid: str) -> None:
        """A read inside a transaction under a patient grant, checked before the transaction
        is sent: absent and not-yours both refuse it here alike (the upstream would refuse
        an absent one for the whole Bundle, and a not-yours one could not be told apart)."""
        stored = await self._reader.read(rtype, rid)
        if stored is None:
            raise NotFound()
        self._checked(decision, rtype, stored)

    async def _existing(self, decision: Decision, rtype: str, rid: str) -> Resource | None:
        """The stored version an update replaces; under a patient grant it must exist."""
        stored = await self._reader.read(rtype, rid)
        if stored is None and decision.post_checks.confine_to_patient is not None:
            raise NotFound()  # SECURITY: absent or deleted reads like not yours (decision 6)
        return stored

    async def _conditional_update(
        self, decision: Decision, rtype: str, content: dict[str, Any], query: str
    ) -> Pinned:
        stored = await self._one_match(rtype, query)
        body_id = content.get("id")
        if stored is not None:
            version = self._checked(decision, rtype, stored)
            _labels_kept(stored, content)
            instance = _id_of(stored)
            if body_id is not None and body_id != instance:
                raise BadRequest("The body's id is not the id of the resource the criteria match.")
            content["id"] = instance  # sent to the instance: its id (http.html#update)
            return Pinned(version, instance)
        if body_id is None:
            return Pinned()
        if not isinstance(body_id, str) or not _ID.fullmatch(body_id):
            raise BadRequest("The body's id is not a valid FHIR id.")
        # No match and an id: an update of that id (http.html#cond-update), sent to it.
        stored = await self._existing(decision, rtype, body_id)
        version = self._checked(decision, rtype, stored)
        _labels_kept(stored, content)
        return Pinned(version, body_id)

    async def _one_match(self, rtype: str, query: str) -> Resource | None:
        matches = await self._reader.search(rtype, query)
        if matches.count > 1:
            raise MultipleMatches()
        if matches.count == 0:
            return None
        # What is checked is a full read by id, never a search entry (which could be shaped).
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


def _labels_kept(stored: Resource | None, result: object) -> None:
    if stored is not None and not labels_kept(stored, result):
        raise Forbidden("A write may add security labels to a record, never remove one.")


def _patched(stored: Resource, operations: Any) -> Any:
    try:
        return apply_patch(stored, operations)
    except PatchFailed as exc:
        raise Unprocessable(f"The JSON Patch cannot be applied: {exc}") from None
    except PatchError as exc:
        raise BadRequest(f"The JSON Patch does not apply: {exc}") from None


def _id_of(resource: Resource) -> str:
    resource_id = resource.get("id")
    if not isinstance(resource_id, str) or not _ID.fullmatch(resource_id):
        raise BadGateway("The FHIR server returned a resource without a valid id.")
    return resource_id
