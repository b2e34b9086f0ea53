"""Encounters (US Core Encounter): the visits every other clinical resource hangs from."""

from __future__ import annotations

from datetime import timedelta

from . import codes
from .context import REFERENCE_DATE, Context, Record, Visit, coding, concept, instant, ref

_LENGTH = {"AMB": timedelta(minutes=30), "VR": timedelta(minutes=15),
           "EMER": timedelta(hours=4), "IMP": timedelta(days=2)}


def build(ctx: Context, rec: Record) -> None:
    """3 to 5 finished encounters, oldest first; the first is a check-up."""
    count = ctx.rng.randint(3, 5)
    offsets = sorted(ctx.rng.sample(range(20, 1100), count), reverse=True)
    pediatric = rec.story.ages[1] < 18
    for number, offset in enumerate(offsets):
        kind = codes.ENCOUNTER_KINDS[0] if number == 0 else ctx.pick(codes.ENCOUNTER_KINDS)
        class_code, class_display, type_code, type_display = kind
        start = (REFERENCE_DATE - timedelta(days=offset)).replace(
            hour=ctx.rng.randint(8, 15), minute=ctx.pick((0, 15, 30, 45)))
        end = start + _LENGTH[class_code]
        if pediatric:
            practitioner = "prac-3"
        elif rec.story.topic == "PSY" and number == count - 1:
            practitioner = "prac-4"
        else:
            practitioner = ctx.pick(("prac-1", "prac-2"))
        location = "loc-1" if class_code != "IMP" else "loc-2"
        visit = Visit(rec.next_id("enc"), start, end, class_code, practitioner, location)
        ctx.add({
            "resourceType": "Encounter", "id": visit.id,
            "identifier": [{"system": "http://hospital.example.org/fhir/sid/visit",
                            "value": f"V-{visit.id}"}],
            "status": "finished",
            "class": coding(codes.THO + "v3-ActCode", class_code, class_display),
            "type": [concept(codes.SNOMED, type_code, type_display)],
            "subject": rec.subject(),
            "participant": [{
                "type": [concept(codes.THO + "v3-ParticipationType", "PPRF",
                                 "primary performer")],
                "period": {"start": instant(start), "end": instant(end)},
                "individual": ref("Practitioner", practitioner),
            }],
            "period": {"start": instant(start), "end": instant(end)},
            "location": [{"location": ref("Location", location)}],
            "serviceProvider": ref("Organization", "org-1"),
        }, end + timedelta(hours=1), "encounter")
        rec.visits.append(visit)
