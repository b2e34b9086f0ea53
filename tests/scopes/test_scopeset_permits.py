"""ScopeSet: permits / filters_for / has, as tables (SMART App Launch 2.2 union semantics)."""

from __future__ import annotations

import pytest

from scopes.errors import ScopeSyntaxError
from scopes.grammar import parse_scope
from scopes.interaction import Interaction
from scopes.scopeset import DENIED, UNRESTRICTED, FilterUnion, ScopeSet

LAB = ("category", "http://terminology.hl7.org/CodeSystem/observation-category|laboratory")
VITALS = ("category", "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs")
LAB_SCOPE = f"patient/Observation.rs?{LAB[0]}={LAB[1]}"
VITALS_SCOPE = f"patient/Observation.rs?{VITALS[0]}={VITALS[1]}"

TYPES = ("Observation", "Condition", "Patient", "Encounter", "SomeFutureType", "*")

# Each scenario: granted scope strings → {type: letters allowed (any context)}; types absent
# from the map allow nothing.
SCENARIOS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "nothing": ((), {}),
    "specials only": (("openid", "fhirUser", "launch/patient", "offline_access"), {}),
    "one v2 type": (("patient/Observation.rs",), {"Observation": "rs"}),
    "read without search": (("patient/Observation.r",), {"Observation": "r"}),
    "search without read": (("patient/Observation.s",), {"Observation": "s"}),
    "r plus s": (("patient/Observation.r", "patient/Observation.s"), {"Observation": "rs"}),
    "v1 read": (("patient/Condition.read",), {"Condition": "rs"}),
    "v1 write": (("patient/Condition.write",), {"Condition": "cud"}),
    "v1 star": (("patient/Condition.*",), {"Condition": "cruds"}),
    "wildcard read": (("patient/*.rs",),
                      {t: "rs" for t in TYPES}),
    "wildcard v1 star": (("system/*.*",), {t: "cruds" for t in TYPES}),
    "wildcard plus one write": (("user/*.r", "user/Encounter.cu"),
                                {**{t: "r" for t in TYPES}, "Encounter": "rcu"}),
    "granular lab": ((LAB_SCOPE,), {"Observation": "rs"}),
    "granular union": ((LAB_SCOPE, VITALS_SCOPE, "patient/Condition.d"),
                       {"Observation": "rs", "Condition": "d"}),
    "mixed versions": (("patient/Patient.read", "patient/Patient.u", "patient/Encounter.c"),
                       {"Patient": "rsu", "Encounter": "c"}),
}

ROWS = [
    (name, type_, letter, letter in expected.get(type_, ""))
    for name, (_, expected) in SCENARIOS.items()
    for type_ in TYPES
    for letter in "cruds"
]


@pytest.mark.parametrize(("scenario", "resource_type", "letter", "allowed"), ROWS)
def test_permits_table(scenario: str, resource_type: str, letter: str, allowed: bool) -> None:
    scopes = ScopeSet.from_strings(SCENARIOS[scenario][0])
    assert scopes.permits(resource_type, letter) is allowed
    assert scopes.filters_for(resource_type, letter).allows_any is allowed


@pytest.mark.parametrize(
    ("granted", "resource_type", "letter", "contexts", "allowed"),
    [
        (("patient/Observation.rs",), "Observation", "r", {"patient"}, True),
        (("patient/Observation.rs",), "Observation", "r", {"user"}, False),
        (("patient/Observation.rs",), "Observation", "r", {"system"}, False),
        (("patient/Observation.rs",), "Observation", "r", {"user", "patient"}, True),
        (("patient/Observation.rs",), "Observation", "r", set(), False),
        (("user/*.rs",), "Observation", "s", {"patient"}, False),
        (("user/*.rs",), "Observation", "s", {"user"}, True),
        (("system/*.read",), "Group", "r", {"system"}, True),
        (("system/*.read",), "Group", "c", {"system"}, False),
        (("patient/Observation.c", "user/Observation.r"), "Observation", "r", {"patient"}, False),
        (("patient/Observation.c", "user/Observation.r"), "Observation", "c", {"patient"}, True),
    ],
)
def test_permits_by_context(
    granted: tuple[str, ...], resource_type: str, letter: str, contexts: set[str], allowed: bool,
) -> None:
    scopes = ScopeSet.from_strings(granted)
    assert scopes.permits(resource_type, letter, contexts) is allowed  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("interaction", "allowed"),
    [
        (Interaction.READ, True), (Interaction.VREAD, True), (Interaction.HISTORY_INSTANCE, True),
        (Interaction.SEARCH, False), (Interaction.HISTORY_TYPE, False),
        (Interaction.CREATE, False), (Interaction.UPDATE, True), (Interaction.PATCH, True),
        (Interaction.DELETE, False),
    ],
)
def test_permits_accepts_interactions(interaction: Interaction, allowed: bool) -> None:
    scopes = ScopeSet.from_strings(["patient/Observation.ru"])
    assert scopes.permits("Observation", interaction) is allowed


def test_operations_have_no_letter_to_ask_about() -> None:
    with pytest.raises(ValueError, match="operation has no fixed permission letter"):
        ScopeSet.from_strings(["patient/*.cruds"]).permits("Patient", Interaction.OPERATION)


@pytest.mark.parametrize("letter", ["", "rs", "x", "R", "read", "*"])
def test_permission_must_be_one_letter(letter: str) -> None:
    with pytest.raises(ValueError, match="is not one of the permission letters"):
        ScopeSet.from_strings(["patient/*.cruds"]).permits("Patient", letter)


def test_unknown_contexts_are_an_error_not_a_silent_deny() -> None:
    with pytest.raises(ValueError, match="unknown scope contexts"):
        scopes = ScopeSet.from_strings(["patient/*.rs"])
        scopes.permits("Patient", "r", {"Patient"})  # type: ignore[arg-type]


# --- granular filters: union semantics -----------------------------------------------------------

@pytest.mark.parametrize(
    ("granted", "resource_type", "letter", "expected"),
    [
        ((), "Observation", "r", DENIED),
        (("patient/Observation.rs",), "Observation", "r", UNRESTRICTED),
        ((LAB_SCOPE,), "Observation", "r", FilterUnion(False, (frozenset({LAB}),))),
        ((LAB_SCOPE,), "Observation", "s", FilterUnion(False, (frozenset({LAB}),))),
        ((LAB_SCOPE,), "Observation", "c", DENIED),
        ((LAB_SCOPE,), "Condition", "r", DENIED),
        ((LAB_SCOPE, VITALS_SCOPE), "Observation", "r",
         FilterUnion(False, (frozenset({LAB}), frozenset({VITALS})))),
        ((VITALS_SCOPE, LAB_SCOPE), "Observation", "r",
         FilterUnion(False, (frozenset({VITALS}), frozenset({LAB})))),
        ((LAB_SCOPE, "patient/Observation.r"), "Observation", "r", UNRESTRICTED),
        ((LAB_SCOPE, "patient/Observation.r"), "Observation", "s",
         FilterUnion(False, (frozenset({LAB}),))),
        ((LAB_SCOPE, "patient/*.s"), "Observation", "s", UNRESTRICTED),
        ((LAB_SCOPE, "patient/*.s"), "Observation", "r", FilterUnion(False, (frozenset({LAB}),))),
        ((LAB_SCOPE, "patient/Observation.read"), "Observation", "s", UNRESTRICTED),
        ((LAB_SCOPE, LAB_SCOPE.replace(".rs", ".r")), "Observation", "r",
         FilterUnion(False, (frozenset({LAB}),))),
        (("patient/Observation.rs?a=1&b=2", "patient/Observation.rs?b=2&a=1"), "Observation", "r",
         FilterUnion(False, (frozenset({("a", "1"), ("b", "2")}),))),
        # a stricter alternative adds nothing to the union and is dropped
        (("patient/Observation.rs?a=1&b=2", "patient/Observation.rs?a=1"), "Observation", "r",
         FilterUnion(False, (frozenset({("a", "1")}),))),
        (("patient/Observation.rs?a=1", "patient/Observation.rs?a=1&b=2"), "Observation", "r",
         FilterUnion(False, (frozenset({("a", "1")}),))),
        (("patient/Observation.rs?a=1", "patient/Observation.rs?b=2&c=3"), "Observation", "r",
         FilterUnion(False, (frozenset({("a", "1")}), frozenset({("b", "2"), ("c", "3")})))),
        (("user/Observation.rs?a=1", "patient/Observation.rs"), "Observation", "r", UNRESTRICTED),
    ],
)
def test_filters_for_is_a_union(
    granted: tuple[str, ...], resource_type: str, letter: str, expected: FilterUnion,
) -> None:
    assert ScopeSet.from_strings(granted).filters_for(resource_type, letter) == expected


def test_filters_for_respects_contexts() -> None:
    scopes = ScopeSet.from_strings(["user/Observation.rs?a=1", "patient/Observation.rs"])
    assert scopes.filters_for("Observation", "r", {"user"}) == FilterUnion(
        False, (frozenset({("a", "1")}),))
    assert scopes.filters_for("Observation", "r", {"patient"}) == UNRESTRICTED
    assert scopes.filters_for("Observation", "r", {"system"}) == DENIED


# --- specials and accessors ---------------------------------------------------------------------

def test_has_special_scopes() -> None:
    scopes = ScopeSet.from_strings(["openid", "launch/patient", "patient/*.rs"])
    assert scopes.has("openid") is True
    assert scopes.has("launch/patient") is True
    assert scopes.has("launch") is False
    assert scopes.has("offline_access") is False
    assert scopes.special_names == {"openid", "launch/patient"}


def test_has_rejects_names_that_are_not_special_scopes() -> None:
    with pytest.raises(ValueError, match="'offline-access' is not a special scope"):
        ScopeSet([]).has("offline-access")


def test_accessors() -> None:
    granted = ["openid", "patient/Observation.rs", "user/*.read", "openid",
               "patient/Observation.rs"]
    scopes = ScopeSet.from_strings(granted)
    assert [s.format() for s in scopes] == ["openid", "patient/Observation.rs", "user/*.read"]
    assert len(scopes) == 3
    assert [s.format() for s in scopes.resource_scopes] == ["patient/Observation.rs", "user/*.read"]
    assert scopes.contexts == {"patient", "user"}
    assert parse_scope("user/*.read") in scopes
    assert parse_scope("user/*.rs") not in scopes
    assert scopes.resource_types("r") == {"Observation", "*"}
    assert scopes.resource_types("r", {"patient"}) == {"Observation"}
    assert scopes.resource_types("c") == frozenset()
    assert repr(scopes) == "ScopeSet('openid patient/Observation.rs user/*.read')"


def test_covering_lists_the_scopes_that_apply() -> None:
    scopes = ScopeSet.from_strings([LAB_SCOPE, "patient/*.r", "patient/Condition.rs"])
    assert [s.format() for s in scopes.covering("Observation", "r")] == [LAB_SCOPE, "patient/*.r"]
    assert [s.format() for s in scopes.covering("Observation", "s")] == [LAB_SCOPE]
    assert [s.format() for s in scopes.covering("*", "r")] == ["patient/*.r"]


def test_from_strings_refuses_a_malformed_stored_scope() -> None:
    with pytest.raises(ScopeSyntaxError, match="not in the order"):
        ScopeSet.from_strings(["patient/Observation.sr"])


def test_shared_parses_once_and_answers_like_from_strings() -> None:
    tokens = ("patient/Observation.rs", "patient/Condition.r")
    shared = ScopeSet.shared(tokens)
    assert ScopeSet.shared(tuple(tokens)) is shared
    assert shared.scopes == ScopeSet.from_strings(tokens).scopes
    assert ScopeSet.shared(("patient/Observation.rs",)) is not shared
