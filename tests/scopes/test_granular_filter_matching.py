"""scopes.granular_match: does a resource satisfy the granular filters of its scopes?"""

from __future__ import annotations

from typing import Any

import pytest

from scopes.granular_match import filter_matches, matches, parse_token_value
from scopes.scopeset import DENIED, UNRESTRICTED, FilterUnion, ScopeSet

OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
US_CORE_CAT = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
COND_CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
LOINC = "http://loinc.org"


def cc(*codings: tuple[str | None, str | None], text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [
        {k: v for k, v in (("system", s), ("code", c)) if v is not None} for s, c in codings]}
    if text:
        concept["text"] = text
    return concept


LAB = cc((OBS_CAT, "laboratory"))
VITALS = cc((OBS_CAT, "vital-signs"))
SDOH_AND_SURVEY = cc((US_CORE_CAT, "sdoh"), (OBS_CAT, "survey"))


def obs(**elements: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o", "status": "final", **elements}


# (name, resource, parameter, value, matches)
ROWS: list[tuple[str, dict[str, Any], str, str, bool]] = [
    ("system|code", obs(category=[LAB]), "category", f"{OBS_CAT}|laboratory", True),
    ("code only", obs(category=[LAB]), "category", "laboratory", True),
    ("system| only", obs(category=[LAB]), "category", f"{OBS_CAT}|", True),
    ("|code needs no system", obs(category=[LAB]), "category", "|laboratory", False),
    ("|code without system", obs(category=[cc((None, "laboratory"))]), "category",
     "|laboratory", True),
    ("code only without system", obs(category=[cc((None, "laboratory"))]), "category",
     "laboratory", True),
    ("system|code without system", obs(category=[cc((None, "laboratory"))]), "category",
     f"{OBS_CAT}|laboratory", False),
    ("wrong system", obs(category=[LAB]), "category", f"{US_CORE_CAT}|laboratory", False),
    ("wrong code", obs(category=[LAB]), "category", f"{OBS_CAT}|vital-signs", False),
    ("code case", obs(category=[LAB]), "category", f"{OBS_CAT}|Laboratory", False),
    ("system trailing slash", obs(category=[LAB]), "category", f"{OBS_CAT}/|laboratory", False),
    ("typo system from scopes.csv", obs(category=[cc((OBS_CAT, "social-history"))]),
     "category", "http://terminology.hl7.org//CodeSystem-observation-category|social-history",
     False),
    ("second of two categories", obs(category=[VITALS, LAB]), "category",
     f"{OBS_CAT}|laboratory", True),
    ("second coding of one category", obs(category=[SDOH_AND_SURVEY]), "category",
     f"{OBS_CAT}|survey", True),
    ("first coding of one category", obs(category=[SDOH_AND_SURVEY]), "category",
     f"{US_CORE_CAT}|sdoh", True),
    ("regardless of others", obs(category=[VITALS, SDOH_AND_SURVEY, LAB]), "category",
     f"{US_CORE_CAT}|sdoh", True),
    ("none of several", obs(category=[VITALS, SDOH_AND_SURVEY]), "category",
     f"{OBS_CAT}|laboratory", False),
    ("no category", obs(), "category", f"{OBS_CAT}|laboratory", False),
    ("empty category", obs(category=[]), "category", f"{OBS_CAT}|laboratory", False),
    ("category text only", obs(category=[{"text": "laboratory"}]), "category", "laboratory",
     False),
    ("category not a list (one Coding)", obs(category={"system": OBS_CAT, "code": "laboratory"}),
     "category", f"{OBS_CAT}|laboratory", True),
    ("category single concept", {"resourceType": "Procedure", "category": LAB}, "category",
     f"{OBS_CAT}|laboratory", True),
    ("category code strings", {"resourceType": "AllergyIntolerance", "category": ["food"]},
     "category", "food", True),
    ("category code string with system", {"resourceType": "AllergyIntolerance",
                                          "category": ["food"]},
     "category", "http://hl7.org/fhir/allergy-intolerance-category|food", False),
    ("category code string |code", {"resourceType": "AllergyIntolerance", "category": ["food"]},
     "category", "|food", True),
    ("garbage category", obs(category=[5, None, "x", {"coding": "no"}]), "category", "y", False),
    ("coding with bad types", obs(category=[{"coding": [{"system": 1, "code": 2}]}]),
     "category", "2", False),
    ("OR list first", obs(category=[LAB]), "category",
     f"{OBS_CAT}|laboratory,{OBS_CAT}|vital-signs", True),
    ("OR list second", obs(category=[VITALS]), "category",
     f"{OBS_CAT}|laboratory,{OBS_CAT}|vital-signs", True),
    ("OR list none", obs(category=[cc((OBS_CAT, "survey"))]), "category",
     f"{OBS_CAT}|laboratory,{OBS_CAT}|vital-signs", False),
    ("OR list with empty", obs(category=[LAB]), "category", f",{OBS_CAT}|laboratory", True),
    ("percent-encoded bar", obs(category=[LAB]), "category", f"{OBS_CAT}%7Claboratory", True),
    ("percent-encoded comma", obs(category=[VITALS]), "category",
     f"{OBS_CAT}|laboratory%2C{OBS_CAT}|vital-signs", True),
    ("escaped bar in code", obs(category=[cc(("s", "a|b"))]), "category", r"s|a\|b", True),
    ("escaped comma in code", obs(category=[cc(("s", "a,b"))]), "category", r"s|a\,b", True),
    ("unescaped second bar", obs(category=[cc(("s", "a|b"))]), "category", "s|a|b", False),
    ("bad escape", obs(category=[cc(("s", "ab"))]), "category", r"s|a\b", False),
    ("lone bar", obs(category=[LAB]), "category", "|", False),
    ("empty value", obs(category=[LAB]), "category", "", False),
    ("code", obs(code=cc((LOINC, "85354-9"))), "code", f"{LOINC}|85354-9", True),
    ("code wrong", obs(code=cc((LOINC, "85354-9"))), "code", f"{LOINC}|8480-6", False),
    ("code not from component", obs(code=cc((LOINC, "85354-9")), component=[
        {"code": cc((LOINC, "8480-6"))}]), "code", f"{LOINC}|8480-6", False),
    ("status", obs(), "status", "final", True),
    ("status other", obs(), "status", "preliminary", False),
    ("status |code", obs(), "status", "|final", True),
    ("status with system", obs(), "status", "http://hl7.org/fhir/observation-status|final",
     False),
    ("status system only", obs(), "status", "http://hl7.org/fhir/observation-status|", False),
    ("status OR", obs(), "status", "amended,final", True),
    ("clinical-status", {"resourceType": "Condition", "clinicalStatus": cc(
        ("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"))},
     "clinical-status", "active", True),
    ("clinical-status other", {"resourceType": "Condition", "clinicalStatus": cc(
        ("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"))},
     "clinical-status", "active", False),
    ("verification-status", {"resourceType": "Condition", "verificationStatus": cc(
        (None, "confirmed"))}, "verification-status", "confirmed", True),
    ("type", {"resourceType": "DocumentReference", "type": cc((LOINC, "18842-5"))}, "type",
     f"{LOINC}|18842-5", True),
    ("type list", {"resourceType": "Encounter", "type": [cc(("s", "a")), cc(("s", "b"))]},
     "type", "s|b", True),
    ("unknown parameter", obs(category=[LAB]), "date", "2024", False),
    ("modifier", obs(category=[LAB]), "category:text", "laboratory", False),
    ("subject is not a token here", obs(subject={"reference": "Patient/p1"}), "subject",
     "Patient/p1", False),
    ("_id is not supported", obs(), "_id", "o", False),
]


@pytest.mark.parametrize(("resource", "name", "value", "expected"), [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_granular_filter_table(
    resource: dict[str, Any], name: str, value: str, expected: bool,
) -> None:
    assert filter_matches(resource, name, value) is expected


LAB_SCOPE = f"patient/Observation.rs?category={OBS_CAT}|laboratory"
VITALS_SCOPE = f"patient/Observation.rs?category={OBS_CAT}|vital-signs"
FINAL_LAB_SCOPE = f"patient/Observation.rs?category={OBS_CAT}|laboratory&status=final"
DATE_SCOPE = "patient/Observation.rs?date=ge2020"


@pytest.mark.parametrize(
    ("granted", "resource", "expected"),
    [
        ((LAB_SCOPE,), obs(category=[LAB]), True),
        ((LAB_SCOPE,), obs(category=[VITALS]), False),
        ((LAB_SCOPE, VITALS_SCOPE), obs(category=[VITALS]), True),
        ((LAB_SCOPE, VITALS_SCOPE), obs(category=[SDOH_AND_SURVEY]), False),
        ((FINAL_LAB_SCOPE,), obs(category=[LAB]), True),
        ((FINAL_LAB_SCOPE,), obs(category=[LAB], status="preliminary"), False),
        ((FINAL_LAB_SCOPE, VITALS_SCOPE), obs(category=[VITALS], status="preliminary"), True),
        ((DATE_SCOPE,), obs(category=[LAB]), False),
        ((DATE_SCOPE, LAB_SCOPE), obs(category=[LAB]), True),
        ((LAB_SCOPE, "patient/Observation.rs"), obs(category=[VITALS]), True),
        (("patient/Observation.rs",), obs(), True),
        (("patient/Condition.rs",), obs(category=[LAB]), False),
    ],
)
def test_scope_set_unions_through_filters_for(
    granted: tuple[str, ...], resource: dict[str, Any], expected: bool,
) -> None:
    union = ScopeSet.from_strings(granted).filters_for("Observation", "s")
    assert matches(resource, union) is expected


@pytest.mark.parametrize(
    ("union", "expected"),
    [
        (UNRESTRICTED, True),
        (DENIED, False),
        (FilterUnion(False, ()), False),
        (FilterUnion(False, (frozenset(),)), True),  # an empty alternative has nothing to fail
        (FilterUnion(False, (frozenset({("status", "final")}),)), True),
        (FilterUnion(False, (frozenset({("status", "final"), ("code", "x")}),)), False),
    ],
)
def test_unrestricted_and_empty_unions(union: FilterUnion, expected: bool) -> None:
    assert matches(obs(category=[LAB]), union) is expected


@pytest.mark.parametrize(
    ("value", "tokens"),
    [
        ("a", ((None, "a"),)),
        ("s|c", (("s", "c"),)),
        ("|c", (("", "c"),)),
        ("s|", (("s", None),)),
        ("a,s|c", ((None, "a"), ("s", "c"))),
        (r"s|a\|b", (("s", "a|b"),)),
        (r"s\|x|c", (("s|x", "c"),)),
        (r"a\\", ((None, "a\\"),)),
        ("|", ()),
        ("", ()),
        ("a|b|c", ()),
        (r"a\q", ()),
        ("%7C", ()),
        ("s%7Cc", (("s", "c"),)),
        ("%FF", ()),
    ],
)
def test_token_values_parse_per_fhir_search_rules(
    value: str, tokens: tuple[tuple[str | None, str | None], ...],
) -> None:
    assert parse_token_value(value) == tokens
