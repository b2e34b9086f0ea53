"""parse_scope / format / as_v2: tables of valid and malformed scopes (SMART App Launch 2.2)."""

from __future__ import annotations

import itertools

import pytest

from scopes.errors import ScopeSyntaxError
from scopes.grammar import (
    SPECIAL_SCOPES,
    ResourceScope,
    SpecialScope,
    parse_scope,
)

LAB = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
VITALS = "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"
PROBLEMS = "http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item"
SDOH = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh"
HEALTH_CONCERN = "http://hl7.org/fhir/us/core/CodeSystem/condition-category|health-concern"

V2_LETTER_SETS = [
    "".join(c for c in "cruds" if c in combo)
    for n in range(1, 6) for combo in itertools.combinations("cruds", n)
]
CONTEXTS = ["patient", "user", "system"]
TYPES = ["Observation", "Patient", "*", "MedicationRequest", "AllergyIntolerance", "A"]

# --- valid scopes: (text, context, type, permissions, filters, version) -------------------------

ValidRow = tuple[str, str, str, str, tuple[tuple[str, str], ...], int]

EXPLICIT_VALID: list[ValidRow] = [
    ("patient/Observation.rs", "patient", "Observation", "rs", (), 2),
    ("patient/Observation.r", "patient", "Observation", "r", (), 2),
    ("patient/Observation.s", "patient", "Observation", "s", (), 2),
    ("user/Patient.cruds", "user", "Patient", "cruds", (), 2),
    ("system/*.rs", "system", "*", "rs", (), 2),
    ("patient/*.cruds", "patient", "*", "cruds", (), 2),
    ("patient/Observation.read", "patient", "Observation", "rs", (), 1),
    ("patient/Observation.write", "patient", "Observation", "cud", (), 1),
    ("patient/Observation.*", "patient", "Observation", "cruds", (), 1),
    ("patient/*.read", "patient", "*", "rs", (), 1),
    ("patient/*.*", "patient", "*", "cruds", (), 1),
    ("system/*.read", "system", "*", "rs", (), 1),
    ("user/*.write", "user", "*", "cud", (), 1),
    ("patient/Observation.rs?category=" + LAB, "patient", "Observation", "rs",
     (("category", LAB),), 2),
    ("user/Observation.r?category=" + VITALS, "user", "Observation", "r",
     (("category", VITALS),), 2),
    ("system/Condition.s?category=" + PROBLEMS, "system", "Condition", "s",
     (("category", PROBLEMS),), 2),
    ("patient/Observation.rs?category=" + SDOH, "patient", "Observation", "rs",
     (("category", SDOH),), 2),
    ("patient/Condition.rs?category=" + HEALTH_CONCERN, "patient", "Condition", "rs",
     (("category", HEALTH_CONCERN),), 2),
    ("patient/Observation.rs?category=" + LAB + "&code=http://loinc.org|1234-5", "patient",
     "Observation", "rs", (("category", LAB), ("code", "http://loinc.org|1234-5")), 2),
    ("patient/Observation.rs?code=http://loinc.org|1234-5&category=" + LAB, "patient",
     "Observation", "rs", (("code", "http://loinc.org|1234-5"), ("category", LAB)), 2),
    ("patient/Observation.rs?category=a&category=b", "patient", "Observation", "rs",
     (("category", "a"), ("category", "b")), 2),
    ("patient/Observation.rs?_id=123", "patient", "Observation", "rs", (("_id", "123"),), 2),
    ("patient/Observation.rs?_lastUpdated=gt2020-01-01", "patient", "Observation", "rs",
     (("_lastUpdated", "gt2020-01-01"),), 2),
    ("patient/Condition.rs?clinical-status=active", "patient", "Condition", "rs",
     (("clinical-status", "active"),), 2),
    ("patient/Observation.rs?category=a%7Cb", "patient", "Observation", "rs",
     (("category", "a%7Cb"),), 2),
    ("patient/Observation.rs?code=a,b", "patient", "Observation", "rs", (("code", "a,b"),), 2),
    ("patient/Observation.rs?code=a+b", "patient", "Observation", "rs", (("code", "a+b"),), 2),
    ("patient/Observation.cruds?category=x", "patient", "Observation", "cruds",
     (("category", "x"),), 2),
    ("patient/A.r", "patient", "A", "r", (), 2),
    ("patient/" + "A" * 64 + ".r", "patient", "A" * 64, "r", (), 2),
]
GENERATED_V2: list[ValidRow] = [
    (f"{c}/{t}.{p}", c, t, p, (), 2)
    for c in CONTEXTS for t in TYPES for p in V2_LETTER_SETS
]
GENERATED_V1: list[ValidRow] = [
    (f"{c}/{t}.{word}", c, t, letters, (), 1)
    for c in CONTEXTS for t in TYPES
    for word, letters in (("read", "rs"), ("write", "cud"), ("*", "cruds"))
]


@pytest.mark.parametrize(
    ("text", "context", "resource_type", "permissions", "filters", "version"),
    EXPLICIT_VALID + GENERATED_V2 + GENERATED_V1,
)
def test_valid_resource_scopes_parse_to_their_fields(
    text: str, context: str, resource_type: str, permissions: str,
    filters: tuple[tuple[str, str], ...], version: int,
) -> None:
    scope = parse_scope(text)
    assert isinstance(scope, ResourceScope)
    assert scope.context == context
    assert scope.resource_type == resource_type
    assert scope.permissions == frozenset(permissions)
    assert scope.filters == filters
    assert scope.version == version
    assert scope.raw == text
    assert scope.format() == text
    assert scope.is_wildcard == (resource_type == "*")


@pytest.mark.parametrize("name", sorted(SPECIAL_SCOPES))
def test_special_scopes_parse(name: str) -> None:
    scope = parse_scope(name)
    assert scope == SpecialScope(name)
    assert scope.format() == name


def test_special_scope_list_is_exactly_smart_2_2() -> None:
    assert SPECIAL_SCOPES == {
        "openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter",
        "offline_access", "online_access",
    }


# --- malformed scopes: (text, message fragment) -------------------------------------------------

MALFORMED = [
    ("", "empty scope"),
    ("patient/Observation.sr", "permissions 'sr' are not in the order c, r, u, d, s"),
    ("patient/Observation.rr", "permissions 'rr' repeat a letter"),
    ("patient/Observation.rsr", "permissions 'rsr' repeat a letter"),
    ("patient/Observation.", "no permissions after '.'"),
    ("patient/Observation.x", "'x' is not one of c, r, u, d, s"),
    ("patient/Observation.rx", "'x' is not one of c, r, u, d, s"),
    ("patient/Observation.R", "'R' is not one of c, r, u, d, s"),
    ("patient/Observation.RS", "'RS' is not one of c, r, u, d, s"),
    ("patient/Observation.Read", "not one of c, r, u, d, s"),
    ("patient/Observation.READ", "not one of c, r, u, d, s"),
    ("patient/Observation.reads", "permissions 'reads': 'ae' is not one of c, r, u, d, s"),
    ("patient/Observation.readwrite", "not one of c, r, u, d, s"),
    ("patient/Observation.rd", None),  # valid: r and d in order (control row, see test)
    ("patient/Observation.dus", "'dus' are not in the order c, r, u, d, s"),
    ("patient/Observation.scrud", "are not in the order c, r, u, d, s"),
    ("patient/Observation.**", "'*' is not one of c, r, u, d, s"),
    ("patient/Observation.r*", "'*' is not one of c, r, u, d, s"),
    ("patient/Observation", "'patient/Observation' has no '.permissions' part"),
    ("patient/*", "'patient/*' has no '.permissions' part"),
    ("patient/", "has no '.permissions' part"),
    ("patient/.rs", "'' is not a FHIR resource type name"),
    ("patient/observation.rs", "'observation' is not a FHIR resource type name"),
    ("patient/OBSERVATION.rs", None),  # valid type name shape (control row)
    ("patient/Obs1.rs", "'Obs1' is not a FHIR resource type name"),
    ("patient/Obs_ervation.rs", "'Obs_ervation' is not a FHIR resource type name"),
    ("patient/Obs-ervation.rs", "'Obs-ervation' is not a FHIR resource type name"),
    ("patient/**.rs", "'**' is not a FHIR resource type name"),
    ("patient/A" + "a" * 64 + ".rs", "is not a FHIR resource type name"),
    ("patient/Observation.rs.rs", "permissions 'rs.rs'"),
    ("patient/Obs.erv.rs", "permissions 'erv.rs'"),
    ("Patient/*.read", "scope context 'Patient' must be one of patient, user, system"),
    ("PATIENT/*.read", "scope context 'PATIENT' must be one of patient, user, system"),
    ("User/Observation.rs", "scope context 'User' must be one of"),
    ("practitioner/Observation.rs", "scope context 'practitioner' must be one of"),
    ("/Observation.rs", "scope context '' must be one of"),
    ("patient.Observation.read", "unknown scope 'patient.Observation.read'"),
    ("patient//Observation.rs", "'/Observation' is not a FHIR resource type name"),
    ("patient/Observation/rs", "'patient/Observation/rs' has no '.permissions' part"),
    ("openId", "unknown scope 'openId'"),
    ("OpenID", "unknown scope 'OpenID'"),
    ("fhiruser", "unknown scope 'fhiruser'"),
    ("offline-access", "unknown scope 'offline-access'"),
    ("email", "unknown scope 'email'"),
    ("read", "unknown scope 'read'"),
    ("*", "unknown scope '*'"),
    ("launch/location", "unsupported launch context scope 'launch/location'"),
    ("launch/Patient", "unsupported launch context scope 'launch/Patient'"),
    ("launch/", "unsupported launch context scope 'launch/'"),
    ("Launch", "unknown scope 'Launch'"),
    ("launch/patient/x", "unsupported launch context scope"),
    (" patient/Observation.rs", "character ' ' (U+0020) is not allowed in a scope"),
    ("patient/Observation.rs ", "character ' ' (U+0020) is not allowed in a scope"),
    ("patient/Observation.rs\t", "character '\\t' (U+0009) is not allowed"),
    ("patient/Observation.rs\n", "character '\\n' (U+000A) is not allowed"),
    ("openid\x00", "(U+0000) is not allowed"),
    ('patient/Observation.rs?code="x"', "character '\"' (U+0022) is not allowed"),
    ("patient/Observation.rs?code=a\\b", "(U+005C) is not allowed"),
    ("patient/Observation.rs?code=é", "(U+00E9) is not allowed"),
    ("patient/Obsérvation.rs", "(U+00E9) is not allowed"),
    ("patient/Observation.rs\x7f", "(U+007F) is not allowed"),
    ("patient/Observation.read?category=" + LAB, "granular ?param= filters need SMART v2"),
    ("patient/Observation.*?category=x", "granular ?param= filters need SMART v2"),
    ("patient/Observation.write?category=x", "granular ?param= filters need SMART v2"),
    ("patient/*.rs?category=" + LAB, "granular ?param= filters are not supported on '*'"),
    ("patient/Observation.rs?", "nothing after '?'"),
    ("patient/Observation.rs??category=x", "a scope may contain only one '?'"),
    ("patient/Observation.rs?category=x?y", "a scope may contain only one '?'"),
    ("patient/Observation.rs?category=x#y", "'#' is not allowed in a scope"),
    ("patient/Observation.rs#", "'#' is not allowed in a scope"),
    ("patient/Observation.rs?category", "filter 'category' is not name=value"),
    ("patient/Observation.rs?category=", "filter 'category' has an empty value"),
    ("patient/Observation.rs?=x", "filter '=x' has no parameter name"),
    ("patient/Observation.rs?category=x&", "empty filter between '&'s"),
    ("patient/Observation.rs?&category=x", "empty filter between '&'s"),
    ("patient/Observation.rs?a=1&&b=2", "empty filter between '&'s"),
    ("patient/Observation.rs?category=a&category=a", "a granular filter is repeated"),
    ("patient/Observation.rs?category=a=b", "filter 'category' has a character not allowed"),
    ("patient/Observation.rs?code:in=http://x", "search modifiers ('code:in') are not supported"),
    ("patient/Observation.rs?code:not=x", "search modifiers ('code:not') are not supported"),
    ("patient/Observation.rs?subject.name=x", "chained parameters ('subject.name')"),
    ("patient/Observation.rs?Category=x", "'Category' is not a FHIR search parameter name"),
    ("patient/Observation.rs?-x=y", "'-x' is not a FHIR search parameter name"),
    ("patient/Observation.rs?1abc=y", "'1abc' is not a FHIR search parameter name"),
    ("patient/Observation.rs?a%20b=y", "'a%20b' is not a FHIR search parameter name"),
    ("patient/Observation.rs?_filter=code eq x", "(U+0020) is not allowed"),
    ("patient/Observation.rs?_filter=x", "'_filter' cannot restrict a scope"),
    ("patient/Observation.rs?_count=1", "'_count' cannot restrict a scope"),
    ("patient/Observation.rs?_include=Observation:subject",
     "'_include' cannot restrict a scope"),
    ("patient/Observation.rs?_has=x", "'_has' cannot restrict a scope"),
    ("patient/Observation.rs?_summary=count", "'_summary' cannot restrict a scope"),
    ("patient/Observation.rs?_revinclude=x", "'_revinclude' cannot restrict a scope"),
    ("patient/Observation.rs?_sort=date", "'_sort' cannot restrict a scope"),
    ("patient/Observation.rs?_elements=id", "'_elements' cannot restrict a scope"),
    ("patient/O.rs?" + "a" * 1100 + "=1", "scope longer than 1024 characters"),
]


@pytest.mark.parametrize(("text", "message"), [row for row in MALFORMED if row[1] is not None])
def test_malformed_scopes_are_rejected_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ScopeSyntaxError) as caught:
        parse_scope(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("text", [row[0] for row in MALFORMED if row[1] is None])
def test_control_rows_next_to_malformed_ones_do_parse(text: str) -> None:
    assert parse_scope(text).format() == text


@pytest.mark.parametrize(
    "text",
    [f"{c}/{t}.{p}" for c in CONTEXTS for t in ("Observation", "*")
     for p in ("sr", "dr", "sc", "ur", "rc", "sd", "su", "rr", "ss", "cc", "rsr", "cruds" * 2)],
)
def test_generated_out_of_order_or_repeated_permissions_are_rejected(text: str) -> None:
    with pytest.raises(ScopeSyntaxError, match="not in the order|repeat a letter"):
        parse_scope(text)


# --- normalisation ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("v1", "v2"),
    [
        (f"{c}/{t}.{word}", f"{c}/{t}.{letters}")
        for c in CONTEXTS for t in TYPES
        for word, letters in (("read", "rs"), ("write", "cud"), ("*", "cruds"))
    ],
)
def test_v1_scopes_normalise_to_their_v2_equivalent(v1: str, v2: str) -> None:
    scope = parse_scope(v1)
    assert isinstance(scope, ResourceScope)
    converted = scope.as_v2()
    assert converted.format() == v2
    assert converted.raw == v2
    assert converted.version == 2
    assert converted == parse_scope(v2)
    assert scope != converted  # the v1 text is a different scope string
    assert scope.format() == v1  # and the original is untouched


@pytest.mark.parametrize("text", ["patient/Observation.rs", "user/*.c",
                                  "patient/Observation.rs?category=" + LAB])
def test_as_v2_of_a_v2_scope_is_itself(text: str) -> None:
    scope = parse_scope(text)
    assert isinstance(scope, ResourceScope)
    assert scope.as_v2() == scope
    assert scope.as_v2().raw == text


def test_filters_compare_as_a_set_but_keep_their_written_order() -> None:
    one = parse_scope("patient/Observation.rs?a=1&b=2")
    other = parse_scope("patient/Observation.rs?b=2&a=1")
    assert one == other
    assert hash(one) == hash(other)
    assert one.format() == "patient/Observation.rs?a=1&b=2"
    assert other.format() == "patient/Observation.rs?b=2&a=1"


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ("patient/Observation.rs", "patient/Observation.rs", True),
        ("patient/Observation.rs", "patient/Observation.read", False),
        ("patient/Observation.rs", "user/Observation.rs", False),
        ("patient/Observation.rs", "patient/Observation.r", False),
        ("patient/Observation.rs", "patient/Observation.rs?a=1", False),
        ("patient/Observation.rs?a=1", "patient/Observation.rs?a=2", False),
        ("patient/Observation.rs?a=1", "patient/Condition.rs?a=1", False),
        ("openid", "openid", True),
        ("openid", "fhirUser", False),
    ],
)
def test_scope_equality(left: str, right: str, equal: bool) -> None:
    assert (parse_scope(left) == parse_scope(right)) is equal


def test_with_filters_builds_a_granular_v2_scope() -> None:
    scope = parse_scope("patient/Observation.read")
    assert isinstance(scope, ResourceScope)
    narrowed = scope.with_filters((("category", LAB),))
    assert narrowed.format() == "patient/Observation.rs?category=" + LAB
    assert narrowed == parse_scope("patient/Observation.rs?category=" + LAB)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"context": "Patient", "resource_type": "X", "permissions": {"r"}},
         "unknown scope context"),
        ({"context": "patient", "resource_type": "x", "permissions": {"r"}}, "not a FHIR resource"),
        ({"context": "patient", "resource_type": "X", "permissions": set()}, "invalid permissions"),
        ({"context": "patient", "resource_type": "X", "permissions": {"q"}}, "invalid permissions"),
        ({"context": "patient", "resource_type": "X", "permissions": {"r"}, "version": 1},
         "SMART v1 permissions are read, write or *"),
        ({"context": "patient", "resource_type": "X", "permissions": {"r"}, "version": 3},
         "unknown scope syntax version 3"),
        ({"context": "patient", "resource_type": "X", "permissions": {"r"},
          "filters": (("a", "1&b=2"),)}, "malformed granular filters"),
        ({"context": "patient", "resource_type": "X", "permissions": {"r"},
          "filters": (("a", "x y"),)}, "has a character not allowed"),
        ({"context": "patient", "resource_type": "X", "permissions": {"r"},
          "filters": (("a", "1"), ("a", "1"))}, "a granular filter is repeated"),
        ({"context": "patient", "resource_type": "*", "permissions": {"r"},
          "filters": (("a", "1"),)}, "not supported on '*'"),
        ({"context": "patient", "resource_type": "X", "permissions": {"r", "s"}, "version": 1,
          "filters": (("a", "1"),)}, "need SMART v2"),
        ({"context": "patient", "resource_type": "X", "permissions": {"r"}, "raw": "patient/X.rs"},
         "raw text 'patient/X.rs' does not match 'patient/X.r'"),
    ],
)
def test_direct_construction_enforces_the_grammar(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ScopeSyntaxError, match=message.replace("*", r"\*").replace("?", r"\?")):
        ResourceScope(**kwargs)  # type: ignore[arg-type]


def test_special_scope_rejects_unknown_names() -> None:
    with pytest.raises(ScopeSyntaxError, match="unknown scope 'email'"):
        SpecialScope("email")
