"""Is a resource, as returned by the upstream, part of patient P's world?  Deny by default.

Used after the upstream call for ``patient/`` grants (SMART App Launch 2.2: patient-level
scopes are limited to the patient in context).  The rules, in order:

1. ``Patient``: visible iff its ``id`` is P.
2. ``EXCLUDED_TYPES`` (``Group``): never.  A Group is a roster or cohort definition, an
   administrative artefact about many people, even when the R4 compartment lists it by
   ``member``; a patient app has no use for it and its criteria can be sensitive.
3. A type of the R4 Patient compartment (``PATIENT_COMPARTMENT``): visible iff it references
   P at least once **and** every Patient reference in it, including those in ``contained``
   resources, extensions and nested elements, is P, and it embeds no Patient resource.
   This is DESIGN decision 5 (every Patient reference must be the context patient) applied
   to reads: ``Observation{subject: P, performer: Patient/Q}`` is as much Q's data as P's,
   and disclosing it to P's app discloses Q (peer-gateways.md (c) 5; compartment "any-of"
   matching is the bug).  "References P" means anywhere, not only at the compartment
   parameter's path; the upstream search was already narrowed to P, and a resource with no
   P reference at all (a ``List`` without subject, a ``Provenance`` targeting only other
   resources) is refused because nothing in it ties it to P.
4. ``shared_types`` (reference data such as Practitioner, Organization, Medication; default
   ``DEFAULT_SHARED_TYPES``) and ``PATIENT_BOUND_TYPES``: visible iff it references no
   patient other than P (and embeds none).  ``Device`` is patient-bound: R4 lists no Device
   in the Patient compartment (``Device.patient`` is not a compartment parameter), yet US
   Core apps read a patient's implantable devices; a Device bound to another patient is
   still refused.
5. Anything else (Bundle, Binary, unknown or future types, malformed input): not visible.

``patient=None`` means the grant is not confined (``user/``, ``system/``): the caller
applies its own policy and this function answers "unconfined".

``names_other_patient`` is the cheap half of rules 3 and 4 for a batch: a resource whose
``subject`` or ``patient`` is a literal reference to another Patient fails both whatever
else it holds, so the whole-resource read of its references can be skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scopes.compartment import PATIENT_COMPARTMENT
from scopes.patient_refs import PatientRefs, patient_references
from scopes.references import RefKind, parse_reference

#: Reference data outside the compartment that patient data points at; a deployment may
#: change the list (``policy.shared_types`` in the proxy's config).
DEFAULT_SHARED_TYPES: frozenset[str] = frozenset({
    "Practitioner", "PractitionerRole", "Organization", "Location", "Medication", "Substance",
    "HealthcareService", "Endpoint",
})
#: Outside the R4 compartment but bound to one patient (``Device.patient``): judged like
#: shared data, so a Device of another patient is refused.
PATIENT_BOUND_TYPES: frozenset[str] = frozenset({"Device"})
EXCLUDED_TYPES: frozenset[str] = frozenset({"Group"})
_PATIENT_ELEMENTS = ("subject", "patient")  # where most compartment types name their patient


@dataclass(frozen=True, slots=True)
class Visibility:
    visible: bool
    reason: str


UNCONFINED = Visibility(True, "unconfined")
OWN_RECORD = Visibility(True, "own-patient-record")
IN_COMPARTMENT = Visibility(True, "in-patient-compartment")
SHARED = Visibility(True, "shared-reference-data")
NOT_A_RESOURCE = Visibility(False, "not-a-resource")
OTHER_PATIENT_RECORD = Visibility(False, "other-patient-record")
EXCLUDED = Visibility(False, "type-excluded")
NOT_SHAREABLE = Visibility(False, "type-not-shareable")
NO_PATIENT_REFERENCE = Visibility(False, "no-reference-to-patient")
OTHER_PATIENT = Visibility(False, "references-other-patient")
UNINTERPRETABLE = Visibility(False, "uninterpretable-reference")
EMBEDDED_PATIENT = Visibility(False, "embedded-patient")


def visible(
    resource: Mapping[str, Any], *, patient: str | None,
    shared_types: Collection[str] = DEFAULT_SHARED_TYPES, refs: PatientRefs | None = None,
) -> Visibility:
    """May the app of a grant confined to ``patient`` see ``resource``?  (module docstring)

    ``refs``: ``patient_references(resource)`` if the caller already has it (a batch).
    """
    if patient is None:
        return UNCONFINED
    if type(resource) is not dict and not isinstance(resource, Mapping):
        return NOT_A_RESOURCE
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        return NOT_A_RESOURCE
    if resource_type == "Patient":
        return OWN_RECORD if resource.get("id") == patient else OTHER_PATIENT_RECORD
    if resource_type in EXCLUDED_TYPES:
        return EXCLUDED
    in_compartment = resource_type in PATIENT_COMPARTMENT
    if not in_compartment and resource_type not in shared_types \
            and resource_type not in PATIENT_BOUND_TYPES:
        return NOT_SHAREABLE
    if refs is None:
        refs = patient_references(resource)
    if refs.uninterpretable:
        return UNINTERPRETABLE
    if refs.embedded_patients:
        return EMBEDDED_PATIENT
    if len(refs.ids) > (patient in refs.ids):  # an id other than the patient's
        return OTHER_PATIENT
    if not in_compartment:
        return SHARED
    return IN_COMPARTMENT if patient in refs.ids else NO_PATIENT_REFERENCE


def names_other_patient(resource: Mapping[str, Any], patient: str) -> bool:
    """Does ``subject`` or ``patient`` of ``resource`` reference a Patient other than ``patient``?

    True means ``visible(resource, patient=patient)`` is not visible, whatever else the
    resource holds: the exact walk reads that Reference too, as another patient's id, or as
    uninterpretable when its ``type`` names another type.  False means "not known here".
    """
    for element in _PATIENT_ELEMENTS:
        node = resource.get(element)
        if type(node) is dict:
            value = node.get("reference")
            if type(value) is str and _other_patient(value, patient):
                return True
    return False


@lru_cache(maxsize=4096)
def _other_patient(value: str, patient: str) -> bool:
    ref = parse_reference(value)
    return (ref is not None and ref.kind is RefKind.RESOURCE
            and ref.resource_type == "Patient" and ref.id != patient)
