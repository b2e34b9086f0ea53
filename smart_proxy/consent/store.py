"""Consent records in the state store, with the indexes revocation needs.

Indexes (sets): the consents of a patient (for "connected apps"), and the grants
and refresh families issued under a consent (so that withdrawal ends them at
once).  The FHIR gate also checks :meth:`ConsentStore.is_active` on every call,
so a token can never outlive its consent even if an index entry were lost.
"""

from __future__ import annotations

from dataclasses import replace

from ..auth.families import revoke_family
from ..grants import revoke_grant
from ..state import StateStore
from .records import ConsentRecord

CONSENT_NS = "consent"
BY_PATIENT_NS = "consents_of_patient"
GRANTS_NS = "consent_grants"
FAMILIES_NS = "consent_families"


class ConsentStore:
    def __init__(self, store: StateStore) -> None:
        self._store = store

    async def save(self, record: ConsentRecord) -> None:
        await self._store.put(CONSENT_NS, record.consent_id, record.to_json())
        await self._store.set_add(BY_PATIENT_NS, record.patient, record.consent_id)

    async def get(self, consent_id: str) -> ConsentRecord | None:
        data = await self._store.get(CONSENT_NS, consent_id)
        return None if data is None else ConsentRecord.from_json(data)

    async def is_active(self, consent_id: str, now: float) -> bool:
        record = await self.get(consent_id)
        return record is not None and record.is_active(now)

    async def of_patient(self, patient: str) -> list[ConsentRecord]:
        ids = await self._store.set_members(BY_PATIENT_NS, patient)
        records = [r for r in [await self.get(i) for i in sorted(ids)] if r is not None]
        return sorted(records, key=lambda r: r.created_at, reverse=True)

    async def link_grant(self, consent_id: str, grant_id: str) -> None:
        await self._store.set_add(GRANTS_NS, consent_id, grant_id)

    async def link_family(self, consent_id: str, family: str) -> None:
        await self._store.set_add(FAMILIES_NS, consent_id, family)

    async def revoke(self, consent_id: str, now: float, by: str) -> ConsentRecord | None:
        """Withdraw the consent and end every grant and refresh family issued under it."""
        record = await self.get(consent_id)
        if record is None:
            return None
        if record.revoked_at is None:
            record = replace(record, revoked_at=now, revoked_by=by)
            await self._store.put(CONSENT_NS, consent_id, record.to_json())
        for grant_id in await self._store.set_members(GRANTS_NS, consent_id):
            await revoke_grant(self._store, grant_id)
        for family in await self._store.set_members(FAMILIES_NS, consent_id):
            await revoke_family(self._store, family)
        return record
