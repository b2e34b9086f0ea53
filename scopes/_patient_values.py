"""Which patient, if any, one search value names (private; request side only).

Reference forms are normalised by ``scopes.references.parse_reference`` (relative,
absolute, versioned, bare id with an expected type, percent-encoded once), so ``p1`` vs
``p10`` and ``Patient/1`` vs ``https://host/fhir/Patient/1`` compare by value
(peer-gateways (c) 11).  This module only adds the request-side classification:

- in a patient-naming position (``patient``, ``:Patient``, a compartment parameter) a value
  that is not exactly a reference is ``UNREADABLE``: callers treat it as another patient;
- anywhere else a value that does not parse but still spells ``Patient/`` once fully
  percent-decoded (``Patient%252Fp2``, ``Patient/p1/../p2``) is ``UNREADABLE`` too, so an
  upstream that decodes once more cannot see a different patient than the policy did.
"""

from __future__ import annotations

from enum import Enum
from urllib.parse import unquote

from scopes.references import RefKind, parse_reference

_MAX_DECODES = 4


class Named(Enum):
    NO_PATIENT = "no-patient"  # another type (Practitioner/x) or a plain token
    UNREADABLE = "unreadable"


def patient_named(value: str, *, bare_is_patient: bool) -> str | Named:
    """The patient id ``value`` names, or why it names none.

    ``bare_is_patient``: a bare id is a patient id (the ``patient`` parameter, a
    ``:Patient`` modifier, or a compartment parameter where a bare id may resolve to a
    Patient).  Otherwise a bare id names no patient.
    """
    ref = parse_reference(value, None)
    if ref is None and bare_is_patient:
        ref = parse_reference(value, "Patient")
    if ref is not None and ref.kind is RefKind.RESOURCE:
        return ref.id if ref.resource_type == "Patient" else Named.NO_PATIENT
    if bare_is_patient or "Patient/" in _decoded(value):
        return Named.UNREADABLE
    return Named.NO_PATIENT


def mentions_other_patient(value: str, patient: str) -> bool:
    """Whether a value written as a Patient reference names anyone but ``patient``."""
    named = patient_named(value, bare_is_patient=False)
    return named is Named.UNREADABLE or (isinstance(named, str) and named != patient)


def _decoded(value: str) -> str:
    for _ in range(_MAX_DECODES):
        once = unquote(value)
        if once == value:
            break
        value = once
    return value
