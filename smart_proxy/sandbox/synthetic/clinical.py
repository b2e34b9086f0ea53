"""Conditions (problem-list-item, encounter-diagnosis, health-concern), AllergyIntolerance,
Immunization and Procedure."""

from __future__ import annotations

from datetime import timedelta

from . import codes
from .context import Context, Json, Record, concept, day, instant, ref
from .stories import labelled


def _condition(rec: Record, category: Json, code: tuple[str, str], status: str) -> Json:
    return {
        "resourceType": "Condition", "id": rec.next_id("cond"),
        "clinicalStatus": concept(codes.CONDITION_CLINICAL, status, status.capitalize()),
        "verificationStatus": concept(codes.CONDITION_VERIFICATION, "confirmed", "Confirmed"),
        "category": [category],
        "code": concept(codes.SNOMED, *code),
        "subject": rec.subject(),
    }


def conditions(ctx: Context, rec: Record) -> list[str]:
    """The patient's conditions; returns the ids of the active problem-list items."""
    problem = concept(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")
    first = rec.visits[0]
    problems = []
    chronic = list(rec.story.chronic)
    if rec.story.topic_condition:
        chronic.append(rec.story.topic_condition)
    for code in chronic:
        resource = _condition(rec, problem, code, "active")
        resource["onsetDateTime"] = day(first.start - timedelta(days=ctx.rng.randint(200, 2500)))
        resource["recordedDate"] = instant(first.start)
        resource["asserter"] = ref("Practitioner", first.practitioner)
        if code == rec.story.topic_condition:
            resource = labelled(resource, rec.story.topic)
        problems.append(ctx.add(resource, first.end, "condition-problems-health-concerns")["id"])
    diagnosis = concept(codes.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")
    for visit in ctx.rng.sample(rec.visits[1:], min(2, len(rec.visits) - 1)):
        resource = _condition(rec, diagnosis, ctx.pick(codes.ACUTE_CONDITIONS), "resolved")
        resource["encounter"] = ref("Encounter", visit.id)
        resource["onsetDateTime"] = instant(visit.start)
        resource["abatementDateTime"] = instant(visit.start + timedelta(days=10))
        resource["recordedDate"] = instant(visit.end)
        resource["asserter"] = ref("Practitioner", visit.practitioner)
        ctx.add(resource, visit.end, "condition-encounter-diagnosis")
    concern = concept(codes.US_CORE_CONDITION_CATEGORY, "health-concern", "Health Concern")
    resource = _condition(rec, concern, ctx.pick(codes.HEALTH_CONCERNS), "active")
    resource["recordedDate"] = instant(rec.visits[-1].start)
    resource["asserter"] = rec.subject()
    resource["note"] = [{"text": "Raised by the patient during the visit."}]
    ctx.add(resource, rec.visits[-1].end, "condition-problems-health-concerns")
    return problems


def allergies(ctx: Context, rec: Record) -> None:
    first = rec.visits[0]
    for system, code, display, category, reaction, reaction_display in ctx.rng.sample(
        codes.ALLERGIES, ctx.rng.randint(0, 2)
    ):
        ctx.add({
            "resourceType": "AllergyIntolerance", "id": rec.next_id("allergy"),
            "clinicalStatus": concept(codes.ALLERGY_CLINICAL, "active", "Active"),
            "verificationStatus": concept(codes.ALLERGY_VERIFICATION, "confirmed", "Confirmed"),
            "type": "allergy",
            "category": [category],
            "criticality": "high" if reaction == "39579001" else "low",
            "code": concept(system, code, display),
            "patient": rec.subject(),
            "recordedDate": instant(first.start),
            "recorder": ref("Practitioner", first.practitioner),
            "asserter": rec.subject(),
            "reaction": [{"manifestation": [concept(codes.SNOMED, reaction, reaction_display)],
                          "severity": "severe" if reaction == "39579001" else "mild"}],
        }, first.end, "allergyintolerance")


def immunizations(ctx: Context, rec: Record) -> None:
    for number, (code, display) in enumerate(ctx.rng.sample(codes.VACCINES, ctx.rng.randint(2, 3))):
        visit = rec.visits[number % len(rec.visits)]
        resource: Json = {
            "resourceType": "Immunization", "id": rec.next_id("imm"), "status": "completed",
            "vaccineCode": concept(codes.CVX, code, display),
            "patient": rec.subject(), "encounter": ref("Encounter", visit.id),
            "occurrenceDateTime": instant(visit.start + timedelta(minutes=25)),
            "primarySource": True,
            "location": ref("Location", visit.location),
            "lotNumber": f"LOT{ctx.rng.randint(10000, 99999)}",
            "performer": [{"actor": ref("Practitioner", visit.practitioner)}],
        }
        if number == 2:
            resource["status"] = "not-done"
            resource["statusReason"] = concept(codes.THO + "v3-ActReason", "PATOBJ",
                                               "patient objection")
            del resource["lotNumber"]
        ctx.add(resource, visit.end, "immunization")


def procedures(ctx: Context, rec: Record, problems: list[str]) -> None:
    for visit in ctx.rng.sample(rec.visits, min(len(rec.visits), ctx.rng.randint(1, 2))):
        code, display = ctx.pick(codes.PROCEDURES)
        resource: Json = {
            "resourceType": "Procedure", "id": rec.next_id("proc"), "status": "completed",
            "code": concept(codes.SNOMED, code, display),
            "subject": rec.subject(), "encounter": ref("Encounter", visit.id),
            "performedPeriod": {"start": instant(visit.start),
                                "end": instant(visit.start + timedelta(minutes=20))},
            "performer": [{"actor": ref("Practitioner", visit.practitioner)}],
            "location": ref("Location", visit.location),
        }
        if problems:
            resource["reasonReference"] = [ref("Condition", problems[0])]
        ctx.add(resource, visit.end, "procedure")
