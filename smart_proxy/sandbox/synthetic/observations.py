"""Observations in the US Core categories: vital-signs, laboratory, social-history, survey
and sdoh (US Core 6 SDOH assessments carry both ``survey`` and ``sdoh``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from . import codes
from .context import (
    REFERENCE_DATE,
    Context,
    Json,
    Record,
    Visit,
    coding,
    concept,
    instant,
    quantity,
    ref,
)
from .stories import labelled

_CATEGORY = {"vital-signs": "Vital Signs", "laboratory": "Laboratory",
             "social-history": "Social History", "survey": "Survey"}
_INTERPRETATION = {"H": "High", "L": "Low", "N": "Normal"}
#: (panel loinc, panel display, [Observation ids], visit) per lab panel drawn.
LabPanel = tuple[str, str, list[str], Visit]


def _observation(ctx: Context, rec: Record, when: datetime, categories: list[str],
                 code: Json, value: Json, *, visit: Visit | None, profile: str,
                 topic: str | None = None, performer: Json | None = None) -> Json:
    category = [concept(codes.OBS_CATEGORY, c, _CATEGORY[c]) if c in _CATEGORY
                else concept(codes.US_CORE_CATEGORY, c, "SDOH") for c in categories]
    resource: Json = {
        "resourceType": "Observation", "id": rec.next_id("obs"), "status": "final",
        "category": category, "code": code, "subject": rec.subject(),
    }
    if visit is not None:
        resource["encounter"] = ref("Encounter", visit.id)
    resource["effectiveDateTime"] = instant(when)
    resource["issued"] = instant(when + timedelta(hours=1))
    resource["performer"] = [performer or ref("Practitioner", visit.practitioner if visit
                                              else "prac-1")]
    resource.update(value)
    if topic:
        resource = labelled(resource, topic)
    return ctx.add(resource, when + timedelta(hours=1), profile)


def vitals(ctx: Context, rec: Record, height_cm: float, bmi: float) -> None:
    adult = rec.story.ages[0] >= 18
    hypertensive = any(c[0] == "38341003" for c in rec.story.chronic)
    for visit in rec.visits:
        if visit.class_code == "VR":
            continue
        when = visit.start + timedelta(minutes=5)
        low, high = (135, 162) if hypertensive else (104, 128)
        components = [
            {"code": concept(codes.LOINC, *codes.SYSTOLIC),
             "valueQuantity": quantity(ctx.rng.randint(low, high), "mm[Hg]")},
            {"code": concept(codes.LOINC, *codes.DIASTOLIC),
             "valueQuantity": quantity(ctx.rng.randint(64, 94), "mm[Hg]")},
        ]
        _observation(ctx, rec, when, ["vital-signs"], concept(codes.LOINC, *codes.BLOOD_PRESSURE),
                     {"component": components}, visit=visit, profile="blood-pressure")
        for code, display, unit, v_low, v_high, decimals in codes.VITALS:
            code_json = concept(codes.LOINC, code, display)
            if code == "59408-5":
                code_json["coding"].append(coding(codes.LOINC, "2708-6", "Oxygen saturation in "
                                                  "Arterial blood"))
            value = round(ctx.rng.uniform(v_low, v_high), decimals)
            _observation(ctx, rec, when, ["vital-signs"], code_json,
                         {"valueQuantity": quantity(value if decimals else int(value), unit)},
                         visit=visit, profile="vital-signs")
        weight = round(bmi * (height_cm / 100) ** 2 + ctx.rng.uniform(-1.5, 1.5), 1)
        for (code, display), value, unit, profile in (
            (codes.WEIGHT, weight, "kg", "body-weight"),
            (codes.HEIGHT, round(height_cm, 1), "cm", "body-height"),
            (codes.BMI, round(weight / (height_cm / 100) ** 2, 1), "kg/m2", "bmi"),
        ):
            if code == codes.BMI[0] and not adult:
                continue
            _observation(ctx, rec, when, ["vital-signs"], concept(codes.LOINC, code, display),
                         {"valueQuantity": quantity(value, unit)}, visit=visit, profile=profile)


def labs(ctx: Context, rec: Record) -> list[LabPanel]:
    """One or two lab panels at in-person visits, each result with a reference range."""
    in_person = [v for v in rec.visits if v.class_code != "VR"]
    panels: list[LabPanel] = []
    for visit in ctx.rng.sample(in_person, min(len(in_person), ctx.rng.randint(1, 2))):
        panel_code, panel_display, tests = ctx.pick(codes.LAB_PANELS)
        when = visit.start + timedelta(minutes=20)
        ids = [_lab(ctx, rec, visit, when, test).get("id", "") for test in tests]
        panels.append((panel_code, panel_display, ids, visit))
    return panels


def _lab(ctx: Context, rec: Record, visit: Visit, when: datetime, test: Any) -> Json:
    code, display, unit, low, high, normal_low, normal_high = test
    value = ctx.rng.uniform(low, high)
    value = round(value, 1) if high < 20 else round(value)
    flag = "H" if value > normal_high else "L" if value < normal_low else "N"
    reference: Json = {"high": quantity(normal_high, unit)}
    if normal_low:
        reference = {"low": quantity(normal_low, unit), **reference}
    return _observation(ctx, rec, when, ["laboratory"], concept(codes.LOINC, code, display), {
        "valueQuantity": quantity(value, unit),
        "interpretation": [concept(codes.INTERPRETATION, flag, _INTERPRETATION[flag])],
        "referenceRange": [reference],
    }, visit=visit, profile="observation-lab", performer=ref("Organization", "org-2"))


def story_labs(ctx: Context, rec: Record) -> None:
    """Home glucose readings, HbA1c for diabetes, viral load (HIV-labelled) for HIV."""
    for days in range(rec.story.glucose_series, 0, -1):
        when = (REFERENCE_DATE - timedelta(days=days)).replace(hour=7, minute=0)
        _observation(ctx, rec, when, ["laboratory"], concept(codes.LOINC, *codes.GLUCOSE[:2]),
                     {"valueQuantity": quantity(ctx.rng.randint(88, 220), codes.GLUCOSE[2])},
                     visit=None, profile="observation-lab", performer=rec.subject())
    if rec.story.glucose_series:
        for visit in rec.visits:
            _observation(ctx, rec, visit.start, ["laboratory"],
                         concept(codes.LOINC, *codes.HBA1C[:2]),
                         {"valueQuantity": quantity(round(ctx.rng.uniform(6.4, 9.2), 1), "%")},
                         visit=visit, profile="observation-lab")
    if rec.story.topic == "HIV":
        visit = rec.visits[-1]
        _observation(ctx, rec, visit.start, ["laboratory"],
                     concept(codes.LOINC, *codes.HIV_VIRAL_LOAD[:2]),
                     {"valueQuantity": quantity(ctx.rng.randint(20, 180),
                                                codes.HIV_VIRAL_LOAD[2])},
                     visit=visit, profile="observation-lab", topic="HIV")


def social(ctx: Context, rec: Record) -> None:
    """Smoking status, a depression screen, and SDOH assessments."""
    first, last = rec.visits[0], rec.visits[-1]
    answer = codes.SMOKING_ANSWERS[rec.story.smoking]
    _observation(ctx, rec, first.start, ["social-history"],
                 concept(codes.LOINC, *codes.SMOKING_STATUS),
                 {"valueCodeableConcept": concept(codes.SNOMED, *answer)},
                 visit=first, profile="smokingstatus")
    if rec.story.topic == "PSY":
        _observation(ctx, rec, last.start, ["survey"], concept(codes.LOINC, *codes.PHQ9),
                     {"valueInteger": ctx.rng.randint(15, 21),
                      "note": [{"text": "Moderately severe depressive symptoms; "
                                        "referred to behavioral health."}]},
                     visit=last, profile="observation-survey", topic="PSY")
    else:
        _observation(ctx, rec, last.start, ["survey"], concept(codes.LOINC, *codes.PHQ2),
                     {"valueInteger": ctx.rng.randint(0, 2)}, visit=last,
                     profile="observation-survey")
    food = ctx.pick(codes.FOOD_ANSWERS)
    _observation(ctx, rec, first.start, ["survey", "sdoh"],
                 concept(codes.LOINC, *codes.FOOD_INSECURITY),
                 {"valueCodeableConcept": concept(codes.LOINC, *food)},
                 visit=first, profile="observation-screening-assessment")
    if ctx.rng.random() < 0.5:
        housing = ctx.pick(codes.HOUSING_ANSWERS)
        _observation(ctx, rec, first.start, ["survey", "sdoh"],
                     concept(codes.LOINC, *codes.HOUSING),
                     {"valueCodeableConcept": concept(codes.LOINC, *housing)},
                     visit=first, profile="observation-screening-assessment")
