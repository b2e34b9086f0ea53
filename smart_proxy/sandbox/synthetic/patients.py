"""Patients (US Core Patient) and, for the mother-and-child pair, a RelatedPerson."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from . import codes
from .context import REFERENCE_DATE, Context, Json, concept, day, narrative, ref
from .stories import Story, security

_FEMALE = ("Amy", "Grace", "Sofia", "Aisha", "Mei", "Olivia", "Fatima", "Hannah", "Lucia", "Nora")
_MALE = ("Marcus", "Ethan", "Diego", "Kwame", "Hiroshi", "Liam", "Omar", "Noah", "Pavel", "Theo")
_FAMILY = ("Shaw", "Okonkwo", "Lindqvist", "Patel", "Moreno", "Kowalski", "Haddad", "Tanaka",
           "Fitzgerald", "Nakamura", "Abara", "Dubois", "Castillo", "Ivanova", "Mensah", "Ward")
_STREETS = ("Meadow St", "Oak Ave", "Willow Ln", "Cedar Rd", "Harbor Dr", "Elm St", "Birch Ct")
_CITIES = (("Springfield", "IL", "62701"), ("Lakeside", "IL", "62704"),
           ("Riverton", "IL", "62561"), ("Chatham", "IL", "62629"))
_RACES = (("2106-3", "White"), ("2054-5", "Black or African American"), ("2028-9", "Asian"),
          ("1002-5", "American Indian or Alaska Native"))
_ETHNICITIES = (("2186-5", "Not Hispanic or Latino"), ("2135-2", "Hispanic or Latino"))
_OMB = "urn:oid:2.16.840.1.113883.6.238"
_US_CORE_EXT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-"


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    gender: str
    birth: str
    address: Json
    phone: str


def surnames(ctx: Context) -> list[str]:
    """Family names in a seeded order: the first sixteen patients' names are distinct."""
    return ctx.rng.sample(_FAMILY, len(_FAMILY))


def person(ctx: Context, surname: str, story: Story, family: Person | None) -> Person:
    gender = story.gender or ctx.pick(("female", "male"))
    given = ctx.pick(_FEMALE if gender == "female" else _MALE)
    surname = family.family if family else surname
    age_days = ctx.rng.randint(story.ages[0] * 365, story.ages[1] * 365)
    if family:
        address = family.address
    else:
        city, state, postal = ctx.pick(_CITIES)
        address = {"use": "home", "line": [f"{ctx.rng.randint(1, 999)} {ctx.pick(_STREETS)}"],
                   "city": city, "state": state, "postalCode": postal, "country": "US"}
    phone = f"555-{ctx.rng.randint(100, 999)}-{ctx.rng.randint(1000, 9999)}"
    return Person(given, surname, gender, day(REFERENCE_DATE - timedelta(days=age_days)),
                  address, phone)


def build_patient(ctx: Context, patient_id: str, index: int, who: Person, story: Story) -> Json:
    race, ethnicity = ctx.pick(_RACES), ctx.pick(_ETHNICITIES)
    display = f"{who.given} {who.family}"
    patient: Json = {
        "resourceType": "Patient", "id": patient_id,
        "text": narrative(f"{display}, {who.gender}, born {who.birth}. MRN {100000 + index}."),
        "extension": [
            _omb("race", race), _omb("ethnicity", ethnicity),
            {"url": _US_CORE_EXT + "birthsex", "valueCode": "F" if who.gender == "female" else "M"},
        ],
        "identifier": [{
            "use": "usual",
            "type": concept(codes.THO + "v2-0203", "MR", "Medical Record Number"),
            "system": codes.MRN_SYSTEM, "value": str(100000 + index),
        }],
        "active": True,
        "name": [{"use": "official", "family": who.family, "given": [who.given]}],
        "telecom": [
            {"system": "phone", "value": who.phone, "use": "home"},
            {"system": "email", "value": f"{who.given.lower()}.{who.family.lower()}"
                                         f"{index}@example.com"},
        ],
        "gender": who.gender,
        "birthDate": who.birth,
        "address": [who.address],
        "communication": [{"language": concept("urn:ietf:bcp:47", "en-US",
                                               "English (United States)")}],
        "generalPractitioner": [ref("Practitioner", "prac-3" if story.ages[1] < 18
                                    else "prac-1")],
        "managingOrganization": ref("Organization", "org-1"),
    }
    if story.restricted_patient:
        patient["meta"] = {"security": security(None)}
    return patient


def build_related_person(child_id: str, mother: Person, child_display: str) -> Json:
    return {
        "resourceType": "RelatedPerson", "id": f"rp-{child_id}-1", "active": True,
        "patient": ref("Patient", child_id, child_display),
        "relationship": [concept(codes.THO + "v3-RoleCode", "MTH", "mother")],
        "name": [{"use": "official", "family": mother.family, "given": [mother.given]}],
        "telecom": [{"system": "phone", "value": mother.phone, "use": "home"}],
        "gender": mother.gender,
        "birthDate": mother.birth,
        "address": [mother.address],
    }


def _omb(kind: str, value: tuple[str, str]) -> Json:
    code, display = value
    return {"url": _US_CORE_EXT + kind, "extension": [
        {"url": "ombCategory", "valueCoding": {"system": _OMB, "code": code, "display": display}},
        {"url": "text", "valueString": display},
    ]}
