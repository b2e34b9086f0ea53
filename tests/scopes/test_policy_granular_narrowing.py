"""Granular scopes before the call: one combined upstream filter, intersected with the app's.

Each row: scopes, call, and the exact final upstream params or ``EMPTY``.  Patient ``p1``.
"""

from __future__ import annotations

import pytest

from scopes.decision import Reason
from tests.scopes.policy_calls import (
    LAB,
    LAB_SCOPE,
    OBS_CAT,
    SURVEY,
    VITALS,
    VITALS_SCOPE,
    judge,
)

EMPTY = "EMPTY"
P1 = ("patient", "Patient/p1")
CAT = f"{LAB},{VITALS}"
PROBLEM = "http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item"
CONCERN = "http://hl7.org/fhir/us/core/CodeSystem/condition-category|health-concern"

GRANULAR_ROWS = [
    (LAB_SCOPE, "GET Observation", (P1, ("category", LAB))),
    (LAB_SCOPE, "GET Observation?category=laboratory", (("category", LAB), P1)),
    (LAB_SCOPE, "GET Observation?category=LABORATORY", (("category", LAB), P1)),
    (LAB_SCOPE, f"GET Observation?category={LAB}", (("category", LAB), P1)),
    (LAB_SCOPE, f"GET Observation?category={OBS_CAT}|", (("category", LAB), P1)),
    (LAB_SCOPE, "GET Observation?category=laboratory,survey", (("category", LAB), P1)),
    (LAB_SCOPE, "GET Observation?category=vital-signs", EMPTY),
    (LAB_SCOPE, f"GET Observation?category={VITALS}", EMPTY),
    (LAB_SCOPE, "GET Observation?category=http://other.example|laboratory", EMPTY),
    (LAB_SCOPE, "GET Observation?category=|laboratory", EMPTY),
    (LAB_SCOPE, "GET Observation?category:not=survey", (("category:not", "survey"), P1, ("category", LAB))),
    (LAB_SCOPE, "GET Observation?patient=p2&category=laboratory", EMPTY),
    (LAB_SCOPE, "GET Observation?code=x&date=gt2020", (
        ("code", "x"), ("date", "gt2020"), P1, ("category", LAB))),
    (LAB_SCOPE, "GET Patient/p1/Observation", (("category", LAB),)),
    (LAB_SCOPE, "GET Patient/p1/Observation?category=survey", EMPTY),
    (LAB_SCOPE, "GET Observation/$lastn?max=1", (("max", "1"), P1, ("category", LAB))),
    (f"{LAB_SCOPE} {VITALS_SCOPE}", "GET Observation", (P1, ("category", CAT))),
    (f"{LAB_SCOPE} {VITALS_SCOPE}", "GET Observation?code=x", (("code", "x"), P1, ("category", CAT))),
    (f"{LAB_SCOPE} {VITALS_SCOPE}", "GET Observation?category=vital-signs,laboratory",
     (("category", CAT), P1)),
    (f"{LAB_SCOPE} {VITALS_SCOPE}", "GET Observation?category=vital-signs",
     (("category", VITALS), P1)),
    (f"{LAB_SCOPE} {VITALS_SCOPE}", f"GET Observation?category={SURVEY}", EMPTY),
    (f"{LAB_SCOPE} {VITALS_SCOPE}", "GET Observation?category=laboratory&category=vital-signs",
     (("category", LAB), ("category", VITALS), P1)),
    (f"{LAB_SCOPE} patient/Observation.rs", "GET Observation?code=x", (("code", "x"), P1)),
    (f"patient/Observation.rs?category={LAB}&status=final", "GET Observation",
     (P1, ("category", LAB), ("status", "final"))),
    (f"patient/Observation.rs?category={LAB}&status=final", "GET Observation?status=amended", EMPTY),
    # alternatives on different parameters cannot be one query: post-check only
    (f"{LAB_SCOPE} patient/Observation.rs?status=final", "GET Observation?code=x",
     (("code", "x"), P1)),
    (f"patient/Condition.rs?category={PROBLEM} patient/Condition.rs?category={CONCERN}",
     "GET Condition", (P1, ("category", f"{PROBLEM},{CONCERN}"))),
]




@pytest.mark.parametrize(("scopes", "text", "expected"), GRANULAR_ROWS)
def test_patient_granular_narrowing(scopes: str, text: str, expected: object) -> None:
    decision = judge(scopes, text)
    if expected == EMPTY:
        assert decision.reason is Reason.EMPTY_RESULT and decision.mutations.empty_result
        assert decision.mutations.params == ()
        return
    assert decision.reason is Reason.ALLOWED, decision.message
    assert decision.mutations.params == expected
    assert decision.post_checks.confine_to_patient == "p1" and decision.post_checks.strip_total
    restricted = "patient/Observation.rs " not in f"{scopes} "
    assert (decision.post_checks.granular is not None) is restricted


BROAD_ROWS = [
    ("user/Observation.rs", "GET Observation?patient=p2", (("patient", "p2"),)),
    ("user/Observation.rs", "GET Observation?_summary=true", (("_summary", "true"),)),
    ("user/*.rs", "GET Patient/p2/Observation?code=x", (("code", "x"),)),
    ("user/*.rs", "GET Patient?name=x", (("name", "x"),)),
    ("system/Observation.rs", "GET Observation", ()),
    ("system/Observation.rs", "GET Observation/$lastn?patient=p9&max=2",
     (("patient", "p9"), ("max", "2"))),
    (f"user/Observation.rs?category={LAB}", "GET Observation?patient=p2",
     (("patient", "p2"), ("category", LAB))),
    (f"system/Observation.rs?category={LAB}", "GET Observation?category=vital-signs", EMPTY),
]


@pytest.mark.parametrize(("scopes", "text", "expected"), BROAD_ROWS)
def test_user_and_system_searches(scopes: str, text: str, expected: object) -> None:
    decision = judge(scopes, text, patient=None, fhir_user="Practitioner/d1")
    if expected == EMPTY:
        assert decision.mutations.empty_result
        return
    assert decision.reason is Reason.ALLOWED
    assert decision.mutations.params == expected
    assert decision.post_checks.confine_to_patient is None
    filtered = "?" in scopes
    assert (decision.post_checks.granular is not None) is filtered
    assert decision.post_checks.strip_total is filtered


def test_unrestricted_user_grant_beats_patient_grant() -> None:
    decision = judge("patient/Observation.rs user/Observation.rs", "GET Observation?patient=p2",
                     patient="p1", fhir_user="Practitioner/d1")
    assert decision.mutations.params == (("patient", "p2"),)


def test_patient_grant_beats_filtered_user_grant() -> None:
    decision = judge(f"patient/Observation.rs user/Observation.rs?category={LAB}",
                     "GET Observation", patient="p1", fhir_user="Practitioner/d1")
    assert decision.mutations.params == (P1,)
    assert decision.post_checks.granular is None


def test_granular_alternatives_are_post_checked() -> None:
    decision = judge(f"{LAB_SCOPE} {VITALS_SCOPE}", "GET Observation")
    granular = decision.post_checks.granular
    assert granular is not None and not granular.unrestricted
    assert len(granular.alternatives) == 2


