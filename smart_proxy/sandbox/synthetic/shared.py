"""Resources shared by all patients: practitioners, organizations, locations, medications."""

from __future__ import annotations

from datetime import timedelta

from . import codes
from .context import REFERENCE_DATE, Context, Staff, concept, ref

#: key → (RxNorm code, display, form SNOMED code, form display)
MEDICATIONS = {
    "lisinopril": ("314076", "lisinopril 10 MG Oral Tablet", "385055001", "Tablet"),
    "atorvastatin": ("617310", "atorvastatin 20 MG Oral Tablet", "385055001", "Tablet"),
    "metformin": ("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet",
                  "385055001", "Tablet"),
    "albuterol": ("745679", "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
                  "420317006", "Inhaler"),
    "sertraline": ("312940", "sertraline 50 MG Oral Tablet", "385055001", "Tablet"),
    "buprenorphine": ("1010600", "buprenorphine 2 MG / naloxone 0.5 MG Sublingual Film",
                      "420275007", "Film"),
    "biktarvy": ("1999667", ("bictegravir 50 MG / emtricitabine 200 MG / tenofovir "
                             "alafenamide 25 MG Oral Tablet"), "385055001", "Tablet"),
}
_PRACTITIONERS = (
    ("Nguyen", "Linh", "female", "Internal Medicine"),
    ("Okafor", "Daniel", "male", "Family Medicine"),
    ("Reyes", "Maria", "female", "Pediatrics"),
    ("Brandt", "Jonas", "male", "Psychiatry"),
)
_ORGANIZATIONS = (
    ("org-1", "Riverbend Community Health", "prov", "Healthcare Provider", "Springfield"),
    ("org-2", "Lakeside Regional Laboratory", "other", "Other", "Lakeside"),
    ("org-3", "Northwind Pharmaceuticals", "other", "Other", "Chicago"),
)


def build(ctx: Context) -> Staff:
    when = REFERENCE_DATE - timedelta(days=400)
    for org_id, name, type_code, type_display, city in _ORGANIZATIONS:
        ctx.add({
            "resourceType": "Organization", "id": org_id, "active": True,
            "identifier": [{"system": codes.NPI_SYSTEM,
                            "value": str(1000000000 + ctx.rng.randint(0, 99999999))}],
            "type": [concept(codes.THO + "organization-type", type_code, type_display)],
            "name": name,
            "telecom": [{"system": "phone", "value": f"555-{ctx.rng.randint(1000, 9999)}"}],
            "address": [{"line": [f"{ctx.rng.randint(10, 999)} Main St"], "city": city,
                         "state": "IL", "postalCode": "62701", "country": "US"}],
        }, when, "organization")
    for number, (city, org_id) in enumerate((("Springfield", "org-1"), ("Lakeside", "org-2")), 1):
        ctx.add({
            "resourceType": "Location", "id": f"loc-{number}", "status": "active",
            "name": f"{city} Clinic", "mode": "instance",
            "type": [concept(codes.THO + "v3-RoleCode", "HOSP", "Hospital")],
            "address": {"line": [f"{ctx.rng.randint(10, 999)} Clinic Way"], "city": city,
                        "state": "IL", "postalCode": "62701", "country": "US"},
            "managingOrganization": ref("Organization", org_id),
        }, when, "location")
    for number, (family, given, gender, specialty) in enumerate(_PRACTITIONERS, 1):
        ctx.add({
            "resourceType": "Practitioner", "id": f"prac-{number}", "active": True,
            "identifier": [{"system": codes.NPI_SYSTEM,
                            "value": str(1200000000 + number * 7919)}],
            "name": [{"use": "official", "family": family, "given": [given], "prefix": ["Dr."],
                      "text": f"Dr. {given} {family}"}],
            "telecom": [{"system": "email", "value": f"{given.lower()}.{family.lower()}"
                                                     "@riverbend.example.org"}],
            "gender": gender,
            "qualification": [{"code": {"text": f"MD, {specialty}"}}],
        }, when, "practitioner")
    medication_ids = {}
    for number, (key, (code, display, form, form_display)) in enumerate(MEDICATIONS.items(), 1):
        medication_ids[key] = f"med-{number}"
        ctx.add({
            "resourceType": "Medication", "id": f"med-{number}", "status": "active",
            "code": concept(codes.RXNORM, code, display),
            "form": concept(codes.SNOMED, form, form_display),
            "manufacturer": ref("Organization", "org-3"),
        }, when, "medication")
    return Staff(
        practitioners=tuple(f"prac-{n}" for n in range(1, len(_PRACTITIONERS) + 1)),
        organizations=tuple(o[0] for o in _ORGANIZATIONS),
        locations=("loc-1", "loc-2"),
        medications=medication_ids,
    )
