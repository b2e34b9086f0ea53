"""The clinical story of each synthetic patient, and the security labels of sensitive ones.

Patient *n* (1-based) follows ``STORIES[(n - 1) % len(STORIES)]``, so with the default eight
patients every story, and so every sensitive label, is present exactly once.  Patients 1
and 2 are mother and child (shared family name and address, a RelatedPerson).

A sensitive resource carries an information-sensitivity code from v3 ActCode (``PSY``,
``HIV``, ``ETH``, ``STD``) and the confidentiality code ``R`` (restricted) in
``meta.security`` (http://hl7.org/fhir/R4/security-labels.html); the proxy's policy engine
filters on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .codes import ACT_CODE, CONFIDENTIALITY

Json = dict[str, Any]


@dataclass(frozen=True)
class Story:
    key: str
    ages: tuple[int, int]
    gender: str | None
    chronic: tuple[tuple[str, str], ...]  # SNOMED (code, display), problem-list items
    medications: tuple[str, ...]  # keys of shared Medications (see shared.MEDICATIONS)
    smoking: int  # index into codes.SMOKING_ANSWERS
    topic: str | None = None  # sensitivity of the story's core condition and treatment
    topic_condition: tuple[str, str] | None = None
    topic_medication: tuple[str, str] | None = None  # RxNorm, as a CodeableConcept
    restricted_patient: bool = False
    glucose_series: int = 0


STORIES: tuple[Story, ...] = (
    Story("cardiometabolic", (38, 50), "female",
          (("38341003", "Hypertensive disorder, systemic arterial (disorder)"),
           ("55822004", "Hyperlipidemia (disorder)")), ("lisinopril", "atorvastatin"), 1),
    Story("pediatric-asthma", (6, 12), None, (("195967001", "Asthma (disorder)"),),
          ("albuterol",), 0),
    Story("depression", (25, 60), None, (), ("sertraline",), 0, topic="PSY",
          topic_condition=("35489007", "Depressive disorder (disorder)")),
    Story("hiv", (28, 55), None, (), ("biktarvy",), 1, topic="HIV",
          topic_condition=("86406008", "Human immunodeficiency virus infection (disorder)")),
    Story("opioid-use", (22, 45), None, (), ("buprenorphine",), 2, topic="ETH",
          topic_condition=("5602001", "Opioid abuse (disorder)")),
    Story("diabetes", (45, 70), None, (("44054006", "Diabetes mellitus type 2 (disorder)"),),
          ("metformin",), 1, glucose_series=30),
    Story("copd", (72, 88), None,
          (("13645005", "Chronic obstructive lung disease (disorder)"),
           ("38341003", "Hypertensive disorder, systemic arterial (disorder)")),
          ("albuterol", "lisinopril"), 2),
    Story("sexual-health", (19, 30), None, (), (), 0, topic="STD",
          topic_condition=("105629000", "Chlamydial infection (disorder)"),
          topic_medication=("308460", "Azithromycin 250 MG Oral Tablet"),
          restricted_patient=True),
)


SENSITIVITY = {
    "PSY": "psychiatry disorder information sensitivity",
    "HIV": "HIV/AIDS information sensitivity",
    "ETH": "substance abuse information sensitivity",
    "STD": "sexually transmitted disease information sensitivity",
}
RESTRICTED = {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}


def security(topic: str | None, *, restricted: bool = True) -> list[Json]:
    """``meta.security`` for a resource about ``topic`` (``None``: confidentiality only)."""
    labels: list[Json] = []
    if topic is not None:
        labels.append({"system": ACT_CODE, "code": topic, "display": SENSITIVITY[topic]})
    if restricted:
        labels.append(RESTRICTED)
    return labels


def labelled(resource: Json, topic: str | None, *, restricted: bool = True) -> Json:
    """``resource`` with the labels added to its ``meta``."""
    meta = dict(resource.get("meta", {}))
    meta["security"] = [*meta.get("security", []), *security(topic, restricted=restricted)]
    return {**resource, "meta": meta}
