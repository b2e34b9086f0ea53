"""Narrow a search (or conditional URL) to the patient in context, before the call.

For a compartment type T the upstream query always carries one *confining* parameter
naming ``Patient/P``.  It is ``patient`` when T certainly has that parameter, else one
of T's Patient-compartment parameters (``subject``, else the first listed): a
compartment parameter is by definition a search parameter of T, so a lenient upstream
cannot silently ignore it.  Repeated parameters AND together (R4 search.html), so
whatever else the app asked for can only narrow further.

What the app already wrote is read first, with every reference form normalised
(``scopes._patient_values``):

- a patient-naming parameter (T's compartment parameters and ``patient``, bare or with
  ``:Patient``) whose OR-list names only P is rewritten to ``name=Patient/P``; written on
  the confining parameter (or ``subject``) it makes the added one unnecessary;
- any value naming another patient, anywhere in the query (``patient=p2``,
  ``subject=https://x/Patient/p2``, ``patient=Patient/p1,Patient/p2``, ``Patient%2Fp2``,
  ``p10`` for ``p1``, unreadable ``Patient/...`` text), makes the answer an **empty
  searchset** without calling upstream: the same answer as "no match", so it reveals
  nothing (conformance 130 allows 403 or empty; 403 would differ from "no match");
- on a patient-naming parameter a bare id counts as a patient id (``subject=p2`` may
  resolve to ``Patient/p2``); non-patient references there are written ``Type/id``.

``Patient`` itself is narrowed with ``_id=P``, intersected with the app's ``_id`` list.
"""

from __future__ import annotations

from dataclasses import dataclass

from scopes._patient_values import Named, mentions_other_patient, patient_named
from scopes.access import compartment_params
from scopes.decision import Params
from scopes.query import parse_key, split_values

# R4 SearchParameter "clinical-patient" (plus Device-patient and Coverage-patient): types
# whose ``patient`` parameter is standard, so it may be the one the policy adds.
PATIENT_PARAM_TYPES = frozenset({
    "AllergyIntolerance", "CarePlan", "CareTeam", "ClinicalImpression", "Composition",
    "Condition", "Consent", "Coverage", "DetectedIssue", "Device", "DeviceRequest", "DeviceUseStatement",
    "DiagnosticReport", "DocumentManifest", "DocumentReference", "Encounter", "EpisodeOfCare",
    "FamilyMemberHistory", "Flag", "Goal", "ImagingStudy", "Immunization", "List",
    "MedicationAdministration", "MedicationDispense", "MedicationRequest",
    "MedicationStatement", "NutritionOrder", "Observation", "Procedure", "RiskAssessment",
    "ServiceRequest", "SupplyDelivery", "VisionPrescription",
})


@dataclass(frozen=True)
class Narrowed:
    params: Params
    empty: bool = False


EMPTY = Narrowed((), empty=True)


def confining_param(resource_type: str) -> str:
    """The parameter the policy adds to confine a search of ``resource_type``."""
    if resource_type == "Patient":
        return "_id"
    listed = compartment_params(resource_type)
    if listed is None:
        raise ValueError(f"{resource_type} is not in the Patient compartment")
    if resource_type in PATIENT_PARAM_TYPES or "patient" in listed:
        return "patient"
    return "subject" if "subject" in listed else listed[0]


def patient_params(resource_type: str) -> frozenset[str]:
    """The parameters of ``resource_type`` whose values name (possibly) a patient."""
    names = set(compartment_params(resource_type) or ())
    if resource_type in PATIENT_PARAM_TYPES:
        names.add("patient")
    return frozenset(names)


def narrow_to_patient(
    resource_type: str, params: Params, patient: str, *, by_path: bool = False
) -> Narrowed:
    """``params`` confined to ``patient``; ``by_path``: a ``Patient/P/T`` search already is."""
    if resource_type == "Patient" and not by_path:
        return _narrow_patient_type(params, patient)
    naming = patient_params(resource_type)
    primary = set() if by_path else {confining_param(resource_type), "subject"} & naming
    canonical = f"Patient/{patient}"
    kept: list[tuple[str, str]] = []
    confined = by_path
    for raw, value in params:
        key = parse_key(raw)
        values = split_values(value)
        if key.name in naming and key.modifier in (None, "Patient"):
            named = [patient_named(v, bare_is_patient=True) for v in values]
            if any(n is Named.UNREADABLE or (isinstance(n, str) and n != patient) for n in named):
                return EMPTY
            if all(n == patient for n in named):
                confined = confined or key.name in primary
                _add(kept, (key.name, canonical))
                continue
        elif any(mentions_other_patient(v, patient) for v in values):
            return EMPTY
        kept.append((raw, value))
    if not confined:
        _add(kept, (confining_param(resource_type), canonical))
    return Narrowed(tuple(kept))


def _narrow_patient_type(params: Params, patient: str) -> Narrowed:
    naming = patient_params("Patient")  # link: the patients this one is linked to
    kept: list[tuple[str, str]] = []
    for raw, value in params:
        key = parse_key(raw)
        values = split_values(value)
        if key.name == "_id" and key.modifier is None:
            if patient not in {v.strip() for v in values}:
                return EMPTY
            continue
        if key.name in naming and key.modifier in (None, "Patient"):
            named = [patient_named(v, bare_is_patient=True) for v in values]
            if any(n != patient for n in named):
                return EMPTY
        elif any(mentions_other_patient(v, patient) for v in values):
            return EMPTY
        kept.append((raw, value))
    kept.append(("_id", patient))
    return Narrowed(tuple(kept))


def _add(kept: list[tuple[str, str]], pair: tuple[str, str]) -> None:
    if pair not in kept:
        kept.append(pair)
