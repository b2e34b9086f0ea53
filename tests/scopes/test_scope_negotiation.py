"""negotiate / narrow: requested × ceiling → granted (literal) and dropped (with reasons)."""

from __future__ import annotations

import pytest

from scopes.errors import ScopeSyntaxError
from scopes.negotiation import NOT_ALLOWED, NOT_IN_ORIGINAL_GRANT, narrow, negotiate

LAB = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
SOCIAL = "http://terminology.hl7.org/CodeSystem/observation-category|social-history"
VITALS = "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"
SURVEY = "http://terminology.hl7.org/CodeSystem/observation-category|survey"
SDOH = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh"
ENCOUNTER_DX = "http://terminology.hl7.org/CodeSystem/condition-category|encounter-diagnosis"
PROBLEMS = "http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item"
CONCERN = "http://hl7.org/fhir/us/core/CodeSystem/condition-category|health-concern"
PATIENT_APP = (
    "launch/patient", "openid", "fhirUser", "offline_access", "patient/*.rs",
)
NO = NOT_ALLOWED

# (requested, ceiling, granted, dropped)
TABLE = [
    # resource scopes: context, type, permissions
    ("patient/Observation.rs", ["patient/Observation.rs"], ["patient/Observation.rs"], []),
    ("patient/Observation.r", ["patient/Observation.rs"], ["patient/Observation.r"], []),
    ("patient/Observation.s", ["patient/Observation.rs"], ["patient/Observation.s"], []),
    ("patient/Observation.rs", ["patient/Observation.r"], [], [("patient/Observation.rs", NO)]),
    ("patient/Observation.rs", ["patient/Observation.s"], [], [("patient/Observation.rs", NO)]),
    ("patient/Observation.rs", ["patient/Observation.r", "patient/Observation.s"],
     ["patient/Observation.rs"], []),
    ("patient/Observation.cruds", ["patient/Observation.rs", "patient/Observation.cud"],
     ["patient/Observation.cruds"], []),
    ("patient/Observation.rs", ["user/Observation.rs"], [], [("patient/Observation.rs", NO)]),
    ("user/Observation.rs", ["patient/Observation.rs"], [], [("user/Observation.rs", NO)]),
    ("system/Observation.rs", ["user/*.cruds"], [], [("system/Observation.rs", NO)]),
    ("patient/Observation.rs", ["patient/Condition.rs"], [], [("patient/Observation.rs", NO)]),
    ("patient/Observation.rs", ["patient/*.rs"], ["patient/Observation.rs"], []),
    ("patient/*.rs", ["patient/*.rs"], ["patient/*.rs"], []),
    ("patient/*.rs", ["patient/Observation.rs"], [], [("patient/*.rs", NO)]),
    ("patient/*.r", ["patient/*.cruds"], ["patient/*.r"], []),
    ("patient/Observation.c", ["patient/*.rs"], [], [("patient/Observation.c", NO)]),
    ("patient/Observation.cruds", ["patient/*.rs"], [], [("patient/Observation.cruds", NO)]),
    ("patient/Observation.d", ["patient/Observation.cud"], ["patient/Observation.d"], []),
    # v1 ↔ v2: compared as letters, returned as written
    ("patient/Observation.read", ["patient/Observation.rs"], ["patient/Observation.read"], []),
    ("patient/Observation.rs", ["patient/Observation.read"], ["patient/Observation.rs"], []),
    ("patient/Observation.read", ["patient/Observation.r"], [], [("patient/Observation.read", NO)]),
    ("patient/Observation.write", ["patient/*.*"], ["patient/Observation.write"], []),
    ("patient/Observation.*", ["patient/Observation.write"], [], [("patient/Observation.*", NO)]),
    ("patient/Observation.*", ["patient/Observation.write", "patient/Observation.read"],
     ["patient/Observation.*"], []),
    ("system/*.read", ["system/*.rs"], ["system/*.read"], []),
    ("system/*.rs", ["system/*.read"], ["system/*.rs"], []),
    ("system/*.read", ["system/Patient.read"], [], [("system/*.read", NO)]),
    ("system/Patient.read system/Group.read", ["system/*.read"],
     ["system/Patient.read", "system/Group.read"], []),
    # granular
    (f"patient/Observation.rs?category={LAB}", ["patient/Observation.rs"],
     [f"patient/Observation.rs?category={LAB}"], []),
    (f"patient/Observation.rs?category={LAB}", ["patient/*.rs"],
     [f"patient/Observation.rs?category={LAB}"], []),
    (f"patient/Observation.rs?category={LAB}", ["patient/*.read"],
     [f"patient/Observation.rs?category={LAB}"], []),
    (f"patient/Observation.rs?category={LAB}", [f"patient/Observation.rs?category={LAB}"],
     [f"patient/Observation.rs?category={LAB}"], []),
    (f"patient/Observation.r?category={LAB}", [f"patient/Observation.rs?category={LAB}"],
     [f"patient/Observation.r?category={LAB}"], []),
    ("patient/Observation.rs", [f"patient/Observation.rs?category={LAB}"],
     [], [("patient/Observation.rs", NO)]),
    (f"patient/Observation.rs?category={VITALS}", [f"patient/Observation.rs?category={LAB}"],
     [], [(f"patient/Observation.rs?category={VITALS}", NO)]),
    (f"patient/Observation.rs?category={LAB}&code=x", [f"patient/Observation.rs?category={LAB}"],
     [], [(f"patient/Observation.rs?category={LAB}&code=x", NO)]),
    (f"patient/Observation.rs?code=x&category={LAB}",
     [f"patient/Observation.rs?category={LAB}&code=x"],
     [f"patient/Observation.rs?code=x&category={LAB}"], []),
    (f"patient/Observation.rs?category={LAB}",
     [f"patient/Observation.r?category={LAB}", f"patient/Observation.s?category={LAB}"],
     [f"patient/Observation.rs?category={LAB}"], []),
    (f"patient/Observation.rs?category={LAB}",
     [f"patient/Observation.r?category={LAB}", "patient/Observation.s"],
     [f"patient/Observation.rs?category={LAB}"], []),
    (f"patient/Observation.rs?category={LAB}",
     [f"patient/Observation.r?category={LAB}", f"patient/Observation.s?category={VITALS}"],
     [], [(f"patient/Observation.rs?category={LAB}", NO)]),
    (f"user/Observation.rs?category={LAB}", ["patient/Observation.rs"],
     [], [(f"user/Observation.rs?category={LAB}", NO)]),
    (f"patient/Observation.rs?category={LAB.replace('|', '%7C')}", ["patient/Observation.rs"],
     [f"patient/Observation.rs?category={LAB.replace('|', '%7C')}"], []),
    (f"patient/Observation.rs?category={LAB.replace('|', '%7C')}",
     [f"patient/Observation.rs?category={LAB}"],
     [], [(f"patient/Observation.rs?category={LAB.replace('|', '%7C')}", NO)]),
    # special scopes: granted iff in the ceiling
    ("openid fhirUser", ["openid", "fhirUser"], ["openid", "fhirUser"], []),
    ("openid fhirUser", ["openid"], ["openid"], [("fhirUser", NO)]),
    ("offline_access", ["online_access"], [], [("offline_access", NO)]),
    ("online_access", ["offline_access"], [], [("online_access", NO)]),
    ("launch", ["launch/patient"], [], [("launch", NO)]),
    ("launch/patient", ["launch"], [], [("launch/patient", NO)]),
    ("launch/encounter", ["launch/encounter", "launch"], ["launch/encounter"], []),
    ("openid", ["patient/*.cruds"], [], [("openid", NO)]),
    ("profile", ["profile"], ["profile"], []),
    # malformed tokens: never granted, reported once
    ("patient/Observation.sr", ["patient/*.cruds"], [],
     [("patient/Observation.sr", "malformed: permissions 'sr' are not in the order "
                                 "c, r, u, d, s")]),
    ("Patient/*.read", ["patient/*.read"], [],
     [("Patient/*.read", "malformed: scope context 'Patient' must be one of patient, user, "
                         "system (case-sensitive)")]),
    ("email openid email", ["openid"], ["openid"], [("email", "malformed: unknown scope 'email'")]),
    ("patient/*.rs?category=x", ["patient/*.rs"], [],
     [("patient/*.rs?category=x",
       "malformed: granular ?param= filters are not supported on '*'")]),
    ("patient/Observation.read?category=x", ["patient/*.rs"], [],
     [("patient/Observation.read?category=x",
       "malformed: granular ?param= filters need SMART v2 permissions")]),
    # duplicates, order, spacing
    ("openid openid", ["openid"], ["openid"], []),
    ("fhirUser  openid ", ["openid", "fhirUser"], ["fhirUser", "openid"], []),
    ("patient/X.rs?a=1&b=2 patient/X.rs?b=2&a=1", ["patient/X.rs"], ["patient/X.rs?a=1&b=2"], []),
    ("patient/X.read patient/X.rs", ["patient/X.rs"], ["patient/X.read", "patient/X.rs"], []),
    ("patient/Y.rs patient/Y.rs", [], [], [("patient/Y.rs", NO)]),
    ("", PATIENT_APP, [], []),
    ("   ", PATIENT_APP, [], []),
    # realistic launches
    ("launch/patient openid fhirUser offline_access patient/Condition.rs patient/Observation.rs "
     "patient/Patient.rs", PATIENT_APP,
     ["launch/patient", "openid", "fhirUser", "offline_access", "patient/Condition.rs",
      "patient/Observation.rs", "patient/Patient.rs"], []),
    ("launch openid fhirUser offline_access user/Patient.rs", PATIENT_APP,
     ["openid", "fhirUser", "offline_access"], [("launch", NO), ("user/Patient.rs", NO)]),
    ("launch/patient openid fhirUser offline_access patient/*.cruds", PATIENT_APP,
     ["launch/patient", "openid", "fhirUser", "offline_access"], [("patient/*.cruds", NO)]),
]

INFERNO_GRANULAR_LAUNCHES = [
    ("launch/patient openid fhirUser offline_access "
     f"patient/Condition.rs?category={ENCOUNTER_DX} patient/Condition.rs?category={CONCERN} "
     f"patient/Observation.rs?category={LAB} patient/Observation.rs?category={SOCIAL}"),
    ("launch/patient openid fhirUser offline_access "
     f"patient/Condition.rs?category={PROBLEMS} patient/Observation.rs?category={VITALS} "
     f"patient/Observation.rs?category={SURVEY} patient/Observation.rs?category={SDOH}"),
]


@pytest.mark.parametrize(("requested", "ceiling", "granted", "dropped"), TABLE)
def test_negotiation_table(
    requested: str, ceiling: list[str], granted: list[str], dropped: list[tuple[str, str]],
) -> None:
    result = negotiate(requested, ceiling)
    assert list(result.granted) == granted
    assert list(result.dropped) == dropped
    assert result.scope == " ".join(granted)
    assert result.nothing_granted is (not granted)


@pytest.mark.parametrize("requested", INFERNO_GRANULAR_LAUNCHES)
def test_inferno_granular_launches_are_granted_literally(requested: str) -> None:
    result = negotiate(requested, PATIENT_APP)
    assert result.scope == requested
    assert result.dropped == ()
    assert all("%" not in token for token in result.granted)


def test_malformed_ceiling_entries_fail_loudly() -> None:
    with pytest.raises(ScopeSyntaxError, match="not in the order"):
        negotiate("openid", ["openid", "patient/*.sr"])


# --- refresh narrowing ---------------------------------------------------------------------------

ORIGINAL = (
    "launch/patient", "openid", "fhirUser", "offline_access", "patient/Patient.rs",
    "patient/Observation.r", "patient/Observation.s", f"patient/Condition.rs?category={PROBLEMS}",
    "patient/Encounter.read",
)
N = NOT_IN_ORIGINAL_GRANT


@pytest.mark.parametrize(
    ("requested", "granted", "dropped"),
    [
        (" ".join(ORIGINAL), list(ORIGINAL), []),
        ("patient/Patient.rs", ["patient/Patient.rs"], []),
        ("patient/Patient.r openid", ["patient/Patient.r", "openid"], []),
        ("patient/Observation.rs", ["patient/Observation.rs"], []),
        ("patient/Encounter.rs", ["patient/Encounter.rs"], []),
        ("patient/Encounter.r", ["patient/Encounter.r"], []),
        (f"patient/Condition.rs?category={PROBLEMS}",
         [f"patient/Condition.rs?category={PROBLEMS}"], []),
        (f"patient/Observation.rs?category={LAB}", [f"patient/Observation.rs?category={LAB}"], []),
        ("patient/Condition.rs", [], [("patient/Condition.rs", N)]),
        (f"patient/Condition.rs?category={CONCERN}", [],
         [(f"patient/Condition.rs?category={CONCERN}", N)]),
        ("patient/Patient.cruds", [], [("patient/Patient.cruds", N)]),
        ("patient/*.rs", [], [("patient/*.rs", N)]),
        ("online_access", [], [("online_access", N)]),
        ("user/Patient.rs", [], [("user/Patient.rs", N)]),
        ("openid patient/Observation.sr", ["openid"],
         [("patient/Observation.sr",
           "malformed: permissions 'sr' are not in the order c, r, u, d, s")]),
    ],
)
def test_refresh_narrowing(
    requested: str, granted: list[str], dropped: list[tuple[str, str]],
) -> None:
    result = narrow(ORIGINAL, requested)
    assert list(result.granted) == granted
    assert list(result.dropped) == dropped


def test_narrowing_a_negotiated_grant_with_the_same_scope_keeps_it_whole() -> None:
    first = negotiate(INFERNO_GRANULAR_LAUNCHES[0], PATIENT_APP)
    again = narrow(first.granted, first.scope)
    assert again.granted == first.granted
    assert again.dropped == ()
