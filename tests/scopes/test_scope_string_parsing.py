"""parse_scope_string: RFC 6749 §3.3 space-separated scope parameters; reports, never raises."""

from __future__ import annotations

import pytest

from scopes.grammar import ParsedScopes, parse_scope, parse_scope_string

LAB = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"


def formatted(parsed: ParsedScopes) -> list[str]:
    return [scope.format() for scope in parsed.scopes]


@pytest.mark.parametrize(
    ("text", "scopes", "rejected"),
    [
        ("", [], []),
        ("   ", [], []),
        ("openid", ["openid"], []),
        ("openid fhirUser", ["openid", "fhirUser"], []),
        ("  openid   fhirUser  ", ["openid", "fhirUser"], []),
        ("launch/patient openid fhirUser offline_access patient/Condition.rs "
         "patient/Observation.rs patient/Patient.rs",
         ["launch/patient", "openid", "fhirUser", "offline_access", "patient/Condition.rs",
          "patient/Observation.rs", "patient/Patient.rs"], []),
        ("openid openid", ["openid"], []),
        ("patient/X.rs patient/X.read patient/X.rs", ["patient/X.rs", "patient/X.read"], []),
        ("patient/X.rs?a=1&b=2 patient/X.rs?b=2&a=1", ["patient/X.rs?a=1&b=2"], []),
        ("patient/Observation.rs?category=" + LAB, ["patient/Observation.rs?category=" + LAB], []),
        ("bad", [], [("bad", "unknown scope 'bad'")]),
        ("bad bad", [], [("bad", "unknown scope 'bad'")]),
        ("openid bad fhirUser", ["openid", "fhirUser"], [("bad", "unknown scope 'bad'")]),
        ("patient/X.sr openid",
         ["openid"], [("patient/X.sr", "permissions 'sr' are not in the order c, r, u, d, s")]),
        ("openid\tfhirUser", [],
         [("openid\tfhirUser", "character '\\t' (U+0009) is not allowed in a scope "
                               "(RFC 6749 §3.3)")]),
        ("openid+fhirUser", [], [("openid+fhirUser", "unknown scope 'openid+fhirUser'")]),
        ("Patient/*.read patient/*.read",
         ["patient/*.read"],
         [("Patient/*.read",
           "scope context 'Patient' must be one of patient, user, system (case-sensitive)")]),
        ("launch/location launch",
         ["launch"],
         [("launch/location", "unsupported launch context scope 'launch/location'; "
                              "use launch/patient or launch/encounter")]),
    ],
)
def test_scope_strings_split_into_valid_and_rejected(
    text: str, scopes: list[str], rejected: list[tuple[str, str]],
) -> None:
    parsed = parse_scope_string(text)
    assert formatted(parsed) == scopes
    assert list(parsed.rejected) == rejected


def test_parsed_scopes_are_the_parse_scope_values() -> None:
    parsed = parse_scope_string("user/Observation.write openid")
    assert parsed.scopes == (parse_scope("user/Observation.write"), parse_scope("openid"))


@pytest.mark.parametrize("count", [1, 10, 200])
def test_many_tokens_keep_request_order(count: int) -> None:
    tokens = [f"patient/T{chr(97 + i // 26)}{chr(97 + i % 26)}.rs" for i in range(count)]
    parsed = parse_scope_string(" ".join(reversed(tokens)))
    assert formatted(parsed) == list(reversed(tokens))
    assert parsed.rejected == ()
