"""MedicationRequests: chronic ones point at shared Medication resources
(``medicationReference``), acute ones carry a ``medicationCodeableConcept``."""

from __future__ import annotations

from datetime import timedelta

from . import codes
from .context import Context, Json, Record, Visit, concept, instant, ref
from .stories import labelled

_CATEGORY = codes.THO + "medicationrequest-category"


def _request(rec: Record, visit: Visit, status: str, medication: Json, text: str) -> Json:
    return {
        "resourceType": "MedicationRequest", "id": rec.next_id("mr"), "status": status,
        "intent": "order",
        "category": [concept(_CATEGORY, "community", "Community")],
        "reportedBoolean": False,
        **medication,
        "subject": rec.subject(),
        "encounter": ref("Encounter", visit.id),
        "authoredOn": instant(visit.end),
        "requester": ref("Practitioner", visit.practitioner),
        "dosageInstruction": [{
            "text": text,
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
        }],
    }


def build(ctx: Context, rec: Record, problems: list[str]) -> None:
    first = rec.visits[0]
    for key in rec.story.medications:
        medication = {"medicationReference": ref("Medication", rec.staff.medications[key])}
        resource = _request(rec, first, "active", medication, "Take one dose daily.")
        if problems:
            resource["reasonReference"] = [ref("Condition", problems[-1])]
        if rec.story.topic:
            resource = labelled(resource, rec.story.topic)
        ctx.add(resource, first.end, "medicationrequest")
    if rec.story.topic_medication:
        visit = rec.visits[-1]
        code = {"medicationCodeableConcept": concept(codes.RXNORM, *rec.story.topic_medication)}
        resource = labelled(_request(rec, visit, "completed", code, "Single dose of 1 g."),
                            rec.story.topic)
        ctx.add(resource, visit.end, "medicationrequest")
    visit = ctx.pick(rec.visits[1:] or rec.visits)
    code = {"medicationCodeableConcept": concept(codes.RXNORM,
                                                 *ctx.pick(codes.ACUTE_MEDICATIONS))}
    resource = _request(rec, visit, "completed", code, "As needed, for up to 10 days.")
    resource["dispenseRequest"] = {"validityPeriod": {
        "start": instant(visit.end), "end": instant(visit.end + timedelta(days=10))}}
    ctx.add(resource, visit.end, "medicationrequest")
