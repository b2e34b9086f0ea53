"""Lab DiagnosticReports, clinical notes (DocumentReference + Binary) and Provenance.

A note's ``content.attachment.url`` is ``Binary/<id>``; the Binary holds the text and its
``securityContext`` points at the patient, as US Core clinical notes do.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

from . import codes
from .context import Context, Json, Record, Visit, concept, day, instant, ref
from .observations import LabPanel
from .stories import labelled

_PARTICIPANT = codes.THO + "provenance-participant-type"


def lab_reports(ctx: Context, rec: Record, panels: list[LabPanel]) -> None:
    for panel_code, panel_display, observation_ids, visit in panels:
        when = visit.start + timedelta(minutes=20)
        ctx.add({
            "resourceType": "DiagnosticReport", "id": rec.next_id("dr"), "status": "final",
            "category": [concept(codes.THO + "v2-0074", "LAB", "Laboratory")],
            "code": concept(codes.LOINC, panel_code, panel_display),
            "subject": rec.subject(), "encounter": ref("Encounter", visit.id),
            "effectiveDateTime": instant(when),
            "issued": instant(when + timedelta(hours=3)),
            "performer": [ref("Organization", "org-2")],
            "result": [ref("Observation", obs_id) for obs_id in observation_ids],
        }, when + timedelta(hours=3), "diagnosticreport-lab")


def notes(ctx: Context, rec: Record, problems: list[str]) -> list[str]:
    """A progress note per patient, plus a restricted consult note in the PSY story."""
    made = [_note(ctx, rec, rec.visits[-1], ctx.pick(codes.NOTE_TYPES), None)]
    if rec.story.topic == "PSY":
        made.append(_note(ctx, rec, rec.visits[-1], ("11488-4", "Consult note"), "PSY"))
    return made


def _note(ctx: Context, rec: Record, visit: Visit, kind: tuple[str, str],
          topic: str | None) -> str:
    doc_id, binary_id = rec.next_id("doc"), rec.next_id("bin")
    text = (f"{kind[1]} for {rec.display}\nDate: {day(visit.start)}\n"
            f"Author: Practitioner/{visit.practitioner}\n"
            f"Assessment: {rec.story.key.replace('-', ' ')} follow-up; stable.\n"
            "Plan: continue current management, follow up in 3 months.\n")
    data = text.encode("utf-8")
    binary: Json = {"resourceType": "Binary", "id": binary_id, "contentType": "text/plain",
                    "securityContext": ref("Patient", rec.patient_id),
                    "data": base64.b64encode(data).decode("ascii")}
    document: Json = {
        "resourceType": "DocumentReference", "id": doc_id,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{_uuid(doc_id)}"}],
        "status": "current", "docStatus": "final",
        "type": concept(codes.LOINC, *kind),
        "category": [concept("http://hl7.org/fhir/us/core/CodeSystem/"
                             "us-core-documentreference-category", "clinical-note",
                             "Clinical Note")],
        "subject": rec.subject(),
        "date": instant(visit.end),
        "author": [ref("Practitioner", visit.practitioner)],
        "custodian": ref("Organization", "org-1"),
        "description": f"{kind[1]}, {day(visit.start)}",
        "content": [{
            "attachment": {
                "contentType": "text/plain", "url": f"Binary/{binary_id}", "size": len(data),
                "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
                "title": kind[1], "creation": instant(visit.end),
            },
            "format": {"system": "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode",
                       "code": "urn:ihe:iti:xds:2017:mimeTypeSufficient",
                       "display": "mimeType Sufficient"},
        }],
        "context": {"encounter": [ref("Encounter", visit.id)],
                    "period": {"start": instant(visit.start), "end": instant(visit.end)}},
    }
    if topic:
        binary, document = labelled(binary, topic), labelled(document, topic)
    ctx.add(binary, visit.end)
    ctx.add(document, visit.end, "documentreference")
    return doc_id


def provenance(ctx: Context, rec: Record, problems: list[str], documents: list[str]) -> None:
    """One Provenance for the chart (targets the Patient) and one per note."""
    first = rec.visits[0]
    targets = [ref("Patient", rec.patient_id)] + [ref("Condition", c) for c in problems]
    ctx.add(_provenance(rec.next_id("prov"), targets, first.end, first.practitioner),
            first.end, "provenance")
    last = rec.visits[-1]
    for doc_id in documents:
        ctx.add(_provenance(rec.next_id("prov"), [ref("DocumentReference", doc_id)],
                            last.end, last.practitioner), last.end, "provenance")


def _provenance(prov_id: str, targets: list[Json], when: datetime, practitioner: str) -> Json:
    return {
        "resourceType": "Provenance", "id": prov_id, "target": targets,
        "recorded": instant(when),
        "agent": [{
            "type": concept(_PARTICIPANT, "author", "Author"),
            "who": ref("Practitioner", practitioner),
            "onBehalfOf": ref("Organization", "org-1"),
        }],
    }


def _uuid(seed_text: str) -> str:
    digest = hashlib.sha256(seed_text.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"
