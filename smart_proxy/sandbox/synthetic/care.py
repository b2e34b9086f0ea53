"""Goals and the CarePlan that pursues them (US Core Goal, CarePlan)."""

from __future__ import annotations

from datetime import timedelta

from . import codes
from .context import REFERENCE_DATE, Context, Record, concept, day, narrative, ref

_GOALS = {
    "cardiometabolic": "Keep blood pressure below 130/80 mmHg",
    "pediatric-asthma": "No emergency visits for asthma this year",
    "depression": "PHQ-9 score below 10",
    "hiv": "Keep the viral load undetectable",
    "opioid-use": "Stay in recovery; attend weekly counselling",
    "diabetes": "HbA1c below 7%",
    "copd": "Walk 20 minutes a day without breathlessness",
    "sexual-health": "Complete treatment and follow-up testing",
}
_ACTIVITIES = (("229065009", "Exercise therapy (regime/therapy)"),
               ("226234005", "Healthy diet (regime/therapy)"),
               ("410177006", "Special diet education (procedure)"))


def build(ctx: Context, rec: Record, problems: list[str]) -> None:
    first = rec.visits[0]
    goal_id = rec.next_id("goal")
    description = _GOALS.get(rec.story.key, "Maintain current health")
    ctx.add({
        "resourceType": "Goal", "id": goal_id, "lifecycleStatus": "active",
        "achievementStatus": concept(codes.THO + "goal-achievement", "in-progress",
                                     "In Progress"),
        "description": {"text": description},
        "subject": rec.subject(),
        "startDate": day(first.start),
        "target": [{"dueDate": day(REFERENCE_DATE + timedelta(days=ctx.rng.randint(60, 365)))}],
        "expressedBy": ref("Practitioner", first.practitioner),
    }, first.end, "goal")
    activity = ctx.pick(_ACTIVITIES)
    ctx.add({
        "resourceType": "CarePlan", "id": rec.next_id("cp"),
        "text": narrative(f"Care plan for {rec.display}: {description}."),
        "status": "active", "intent": "plan",
        "category": [concept("http://hl7.org/fhir/us/core/CodeSystem/careplan-category",
                             "assess-plan", "Assessment and Plan of Treatment")],
        "title": description,
        "subject": rec.subject(),
        "encounter": ref("Encounter", first.id),
        "period": {"start": day(first.start)},
        "author": ref("Practitioner", first.practitioner),
        "addresses": [ref("Condition", c) for c in problems],
        "goal": [ref("Goal", goal_id)],
        "activity": [{"detail": {
            "code": concept(codes.SNOMED, *activity), "status": "in-progress",
            "performer": [rec.subject()],
        }}],
    }, first.end, "careplan")
