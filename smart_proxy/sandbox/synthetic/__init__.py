"""Deterministic synthetic FHIR R4 data, shaped like US Core.

``generate(seed, patients)`` builds shared Practitioner/Organization/Location/Medication
resources and, per patient, a chart: Patient, Encounters, Observations (vital-signs,
laboratory, social-history, survey, sdoh), Conditions (problem-list-item,
encounter-diagnosis, health-concern), MedicationRequests, AllergyIntolerances,
Immunizations, Procedures, lab DiagnosticReports, a clinical note (DocumentReference +
Binary), Provenance, a Goal and a CarePlan; and one Group (``quality-cohort``) of the
first half of the patients.  Sensitive records carry security labels (see
:mod:`.stories`).  Same seed, same bytes: all randomness comes from
``random.Random(seed)`` and all dates from a fixed reference date.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

import orjson

from . import care, clinical, documents, encounters, medications, observations, patients, shared
from .context import REFERENCE_DATE, Context, Record
from .stories import STORIES

__all__ = ["REFERENCE_DATE", "generate"]


def generate(seed: int, patients: int) -> list[dict[str, Any]]:
    """The synthetic data set for ``seed`` with ``patients`` patients (ids ``p1``...)."""
    if patients < 0:
        raise ValueError("patients must be >= 0")
    resources: list[dict[str, Any]] = orjson.loads(_generate(seed, patients))
    return resources


@lru_cache(maxsize=16)
def _generate(seed: int, count: int) -> bytes:
    ctx = Context(random.Random(seed))
    staff = shared.build(ctx)
    names = patients.surnames(ctx)
    mother: patients.Person | None = None
    for index in range(count):
        story = STORIES[index % len(STORIES)]
        patient_id = f"p{index + 1}"
        family = mother if index == 1 else None
        who = patients.person(ctx, names[index % len(names)], story, family)
        rec = Record(patient_id, f"{who.given} {who.family}", story, staff)
        patient = patients.build_patient(ctx, patient_id, index, who, story)
        ctx.add(patient, REFERENCE_DATE.replace(month=1), "patient")
        if index == 0:
            mother = who
        if family is not None:
            ctx.add(patients.build_related_person(patient_id, family, rec.display),
                    REFERENCE_DATE.replace(month=1), "relatedperson")
        _chart(ctx, rec)
    if count:
        ctx.add(_cohort(count), REFERENCE_DATE.replace(month=1))
    return orjson.dumps(ctx.resources)


def _cohort(count: int) -> dict[str, Any]:
    """A Group of the first half of the patients, for Bulk Data ``Group/[id]/$export``."""
    members = [f"p{index + 1}" for index in range(max(1, count // 2))]
    return {
        "resourceType": "Group",
        "id": "quality-cohort",
        "type": "person",
        "actual": True,
        "name": "Quality measure cohort",
        "quantity": len(members),
        "member": [{"entity": {"reference": f"Patient/{pid}"}} for pid in members],
    }


def _chart(ctx: Context, rec: Record) -> None:
    encounters.build(ctx, rec)
    height = ctx.rng.uniform(150, 190) if rec.story.ages[0] >= 18 else ctx.rng.uniform(115, 150)
    bmi = ctx.rng.uniform(19, 33) if rec.story.ages[0] >= 18 else ctx.rng.uniform(15, 20)
    observations.vitals(ctx, rec, height, bmi)
    panels = observations.labs(ctx, rec)
    observations.story_labs(ctx, rec)
    observations.social(ctx, rec)
    problems = clinical.conditions(ctx, rec)
    clinical.allergies(ctx, rec)
    clinical.immunizations(ctx, rec)
    clinical.procedures(ctx, rec, problems)
    medications.build(ctx, rec, problems)
    documents.lab_reports(ctx, rec, panels)
    notes = documents.notes(ctx, rec, problems)
    documents.provenance(ctx, rec, problems, notes)
    care.build(ctx, rec, problems)
