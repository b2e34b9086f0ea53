"""Writes: body rule, stored read, conditional narrowing, If-None-Exist, PATCH media types."""

from __future__ import annotations

import pytest

from scopes.decision import ALL_PATIENT_REFS_MUST_BE_P, Decision, Mismatch, Reason
from scopes.request import RequestError
from scopes.writes import JSON_PATCH, RESULT_PARAMS, criteria_refusal, narrow_conditional
from tests.scopes.policy_calls import LAB, call, grant, judge

ALL = "patient/*.cruds"
P1 = ("patient", "Patient/p1")
JP = {"content_type": JSON_PATCH}

# scopes, call, kwargs, reason, params, requires_stored_read, body rule
ROWS = [
    (ALL, "POST Observation", {}, Reason.ALLOWED, (), False, True),
    (ALL, "POST Observation?_format=json", {}, Reason.ALLOWED, (("_format", "json"),), False, True),
    (ALL, "POST Condition", {}, Reason.ALLOWED, (), False, True),
    (ALL, "PUT Observation/o1", {}, Reason.ALLOWED, (), True, True),
    (ALL, "PUT Patient/p1", {}, Reason.ALLOWED, (), True, True),
    (ALL, "PATCH Observation/o1", JP, Reason.ALLOWED, (), True, True),
    (ALL, "PATCH Patient/p1", JP, Reason.ALLOWED, (), True, True),
    (ALL, "DELETE Observation/o1", {}, Reason.ALLOWED, (), True, False),
    # conditional URLs are narrowed like searches
    (ALL, "PUT Observation?identifier=a", {}, Reason.ALLOWED, (("identifier", "a"), P1), True, True),
    (ALL, "PUT Observation?identifier=a&patient=p1", {}, Reason.ALLOWED,
     (("identifier", "a"), P1), True, True),
    (ALL, "PATCH Observation?identifier=a", JP, Reason.ALLOWED,
     (("identifier", "a"), P1), True, True),
    (ALL, "DELETE Observation?code=x", {}, Reason.ALLOWED, (("code", "x"), P1), True, False),
    (ALL, "DELETE Observation?identifier=http://x|1", {}, Reason.ALLOWED,
     (("identifier", "http://x|1"), P1), True, False),
    (ALL, "PUT Patient?identifier=http://mrn|1", {}, Reason.ALLOWED,
     (("identifier", "http://mrn|1"), ("_id", "p1")), True, True),
    (ALL, "DELETE Observation?patient=p2", {}, Reason.NOT_FOUND, (), False, False),
    (ALL, "DELETE Observation?subject=https://x.example/Patient/p2", {}, Reason.NOT_FOUND, (),
     False, False),
    (ALL, "PUT Observation?identifier=a&subject=Patient/p2", {}, Reason.NOT_FOUND, (), False, False),
    (ALL, "PUT Observation?identifier=a&patient=p1,p2", {}, Reason.NOT_FOUND, (), False, False),
    (ALL, "PUT Patient?_id=p2", {}, Reason.NOT_FOUND, (), False, False),
    (ALL, "PUT Observation?_has:Observation:patient:code=1", {}, Reason.REFUSED_PARAMETER, (),
     False, False),
    (ALL, "DELETE Observation?subject.name=x", {}, Reason.REFUSED_PARAMETER, (), False, False),
    (ALL, "DELETE Observation?_filter=x", {}, Reason.REFUSED_PARAMETER, (), False, False),
    # conditional criteria are search parameters only: a result parameter would empty the
    # proxy's match search while the server's own evaluation finds the unchecked record
    (ALL, "DELETE Observation?identifier=a&_count=0", {}, Reason.REFUSED_PARAMETER, (), False,
     False),
    (ALL, "DELETE Observation?identifier=a&_summary=count", {}, Reason.REFUSED_PARAMETER, (),
     False, False),
    (ALL, "PUT Observation?identifier=a&_count=0", {}, Reason.REFUSED_PARAMETER, (), False, False),
    (ALL, "PUT Observation?identifier=a&_summary=count", {}, Reason.REFUSED_PARAMETER, (), False,
     False),
    (ALL, "PATCH Observation?identifier=a&_elements=id", JP, Reason.REFUSED_PARAMETER, (), False,
     False),
    (ALL, "DELETE Observation?identifier=a&_sort=date", {}, Reason.REFUSED_PARAMETER, (), False,
     False),
    (ALL, "DELETE Observation?identifier=a&_include=Observation:patient", {},
     Reason.REFUSED_PARAMETER, (), False, False),
    (ALL, "PUT Observation?identifier=a&_revinclude:iterate=Provenance:target", {},
     Reason.REFUSED_PARAMETER, (), False, False),
    (ALL, "DELETE Observation?identifier=a&_total=accurate", {}, Reason.REFUSED_PARAMETER, (),
     False, False),
    (ALL, "PUT Observation?identifier=a&_format=json", {}, Reason.REFUSED_PARAMETER, (), False,
     False),
    (ALL, "DELETE Observation?identifier=a&_pretty=true", {}, Reason.REFUSED_PARAMETER, (),
     False, False),
    (ALL, "DELETE Observation?identifier=a&_containedType=contained", {},
     Reason.REFUSED_PARAMETER, (), False, False),
    (ALL, "PUT Observation/o1?_format=json", {}, Reason.ALLOWED, (("_format", "json"),), True,
     True),
    # another patient's Patient: absent; a Patient is never created or deleted by a patient app
    (ALL, "PUT Patient/p2", {}, Reason.NOT_FOUND, (), False, False),
    (ALL, "PATCH Patient/p10", JP, Reason.NOT_FOUND, (), False, False),
    (ALL, "POST Patient", {}, Reason.PATIENT_RECORD_WRITE, (), False, False),
    (ALL, "DELETE Patient/p1", {}, Reason.PATIENT_RECORD_WRITE, (), False, False),
    (ALL, "DELETE Patient/p2", {}, Reason.PATIENT_RECORD_WRITE, (), False, False),
    (ALL, "DELETE Patient?identifier=x", {}, Reason.PATIENT_RECORD_WRITE, (), False, False),
    # PATCH: JSON Patch only
    (ALL, "PATCH Observation/o1", {"content_type": "application/fhir+json"}, Reason.UNSUPPORTED,
     (), False, False),
    (ALL, "PATCH Observation/o1", {"headers": {"Content-Type": "application/fhir+json; charset=utf-8"}},
     Reason.UNSUPPORTED, (), False, False),
    (ALL, "PATCH Observation/o1", {"content_type": "application/fhir+xml"}, Reason.UNSUPPORTED,
     (), False, False),
    (ALL, "PATCH Observation/o1", {"content_type": "application/xml-patch+xml"},
     Reason.UNSUPPORTED, (), False, False),
    (ALL, "PATCH Observation/o1", {"content_type": "application/json"}, Reason.UNSUPPORTED,
     (), False, False),
    (ALL, "PATCH Observation/o1", {}, Reason.UNSUPPORTED, (), False, False),
    (ALL, "PATCH Observation/o1", {"headers": {"content-type": "Application/JSON-Patch+JSON"}},
     Reason.ALLOWED, (), True, True),
    # parameters a write does not take
    (ALL, "PUT Observation/o1?code=x", {}, Reason.REFUSED_PARAMETER, (), False, False),
    (ALL, "POST Observation?patient=p1", {}, Reason.REFUSED_PARAMETER, (), False, False),
    (ALL, "DELETE Observation/o1?_cascade=delete", {}, Reason.REFUSED_PARAMETER, (), False, False),
    # scope and compartment: 403
    ("patient/*.rs", "POST Observation", {}, Reason.INSUFFICIENT_SCOPE, (), False, False),
    ("patient/Observation.c", "PUT Observation/o1", {}, Reason.INSUFFICIENT_SCOPE, (), False, False),
    ("patient/Observation.u", "DELETE Observation/o1", {}, Reason.INSUFFICIENT_SCOPE, (), False,
     False),
    ("patient/Observation.d", "PATCH Observation/o1", JP, Reason.INSUFFICIENT_SCOPE, (), False,
     False),
    (ALL, "POST Practitioner", {}, Reason.INSUFFICIENT_SCOPE, (), False, False),
    (ALL, "PUT Organization/o1", {}, Reason.INSUFFICIENT_SCOPE, (), False, False),
    (ALL, "POST Binary", {}, Reason.INSUFFICIENT_SCOPE, (), False, False),
]


@pytest.mark.parametrize(("scopes", "text", "kwargs", "reason", "params", "stored", "body"), ROWS)
def test_patient_write_rows(scopes: str, text: str, kwargs: dict, reason: Reason, params: tuple,
                            stored: bool, body: bool) -> None:
    decision = judge(scopes, text, **kwargs)
    assert decision.reason is reason, decision.message
    assert decision.mutations.params == params
    assert decision.requires_stored_read is stored
    assert decision.body_rule == (ALL_PATIENT_REFS_MUST_BE_P if body else None)
    assert decision.not_found is (reason is Reason.NOT_FOUND)
    if decision.allowed:
        checks = decision.post_checks
        assert checks.confine_to_patient == "p1" and checks.on_mismatch is Mismatch.NOT_FOUND
        assert checks.letter == call(text, **kwargs).interaction.letter  # type: ignore[union-attr]


@pytest.mark.parametrize(("scopes", "text", "kwargs", "stored", "granular"), [
    ("user/*.cruds", "POST Patient", {}, False, False),
    ("user/*.cruds", "DELETE Patient/p2", {}, False, False),
    ("user/*.cruds", "PUT Observation/o1", {}, False, False),
    ("user/*.cruds", "PATCH Observation/o1", JP, False, False),
    ("system/*.cud", "DELETE Observation?patient=p2", {}, False, False),
    (f"user/Observation.cud?category={LAB}", "PUT Observation/o1", {}, True, True),
    (f"user/Observation.cud?category={LAB}", "DELETE Observation/o1", {}, True, True),
    (f"user/Observation.cud?category={LAB}", "POST Observation", {}, False, True),
])
def test_user_and_system_writes(scopes: str, text: str, kwargs: dict, stored: bool,
                                granular: bool) -> None:
    decision = judge(scopes, text, patient=None, fhir_user="Practitioner/d1", **kwargs)
    assert decision.reason is Reason.ALLOWED, decision.message
    assert decision.requires_stored_read is stored
    assert decision.body_rule is None
    assert decision.post_checks.confine_to_patient is None
    assert (decision.post_checks.granular is not None) is granular


def test_granular_conditional_criteria_get_the_filter() -> None:
    decision = judge(f"user/Observation.u?category={LAB}", "PUT Observation?identifier=a",
                     patient=None, fhir_user="Practitioner/d1")
    assert decision.mutations.params == (("identifier", "a"), ("category", LAB))
    decision = judge(f"user/Observation.u?category={LAB}", "PUT Observation?category=survey",
                     patient=None, fhir_user="Practitioner/d1")
    assert decision.reason is Reason.NOT_FOUND


@pytest.mark.parametrize(("header", "expected"), [
    ("identifier=a", "identifier=a&patient=Patient/p1"),
    ("identifier=http://x%7C1", "identifier=http://x|1&patient=Patient/p1"),
    ("identifier=a&patient=p1", "identifier=a&patient=Patient/p1"),
    ("identifier=a&subject=Patient/p1", "identifier=a&subject=Patient/p1"),
    ("code=a%2Cb", "code=a,b&patient=Patient/p1"),
    ("identifier=a&patient=p2", Reason.NOT_FOUND),
    ("identifier=a&patient=Patient/p1,Patient/p2", Reason.NOT_FOUND),
    ("identifier=a&focus=Patient/p2", Reason.NOT_FOUND),
    ("_has:Observation:patient:code=1", Reason.REFUSED_PARAMETER),
    ("subject.name=x", Reason.REFUSED_PARAMETER),
    ("_filter=x", Reason.REFUSED_PARAMETER),
    ("identifier=a&_count=0", Reason.REFUSED_PARAMETER),
    ("identifier=a&_summary=count", Reason.REFUSED_PARAMETER),
    ("identifier=a&_elements=id", Reason.REFUSED_PARAMETER),
    ("identifier=a&_format=json", Reason.REFUSED_PARAMETER),
    ("", Reason.REFUSED_PARAMETER),
    ("a&&b", Reason.REFUSED_PARAMETER),
])
def test_if_none_exist_is_narrowed_like_a_search(header: str, expected: object) -> None:
    decision = judge(ALL, "POST Observation", headers={"If-None-Exist": header})
    if isinstance(expected, Reason):
        assert decision.reason is expected, decision.message
        return
    assert decision.reason is Reason.ALLOWED
    assert decision.mutations.if_none_exist == expected
    assert narrow_conditional(header, grant(ALL), "Observation") == expected


def test_if_none_exist_result_parameter_is_named_in_the_refusal() -> None:
    answer = narrow_conditional("identifier=a&_count=0", grant(ALL), "Observation")
    assert isinstance(answer, Decision) and answer.reason is Reason.REFUSED_PARAMETER
    assert answer.message.startswith("If-None-Exist: conditional criteria take search "
                                     "parameters only; _count")


@pytest.mark.parametrize(("params", "refused"), [
    ((("identifier", "a"),), None),
    ((("identifier", "a"), ("patient", "p1"), ("_id", "o1"), ("_lastUpdated", "gt2020")), None),
    ((("code:text", "x"), ("_tag", "t"), ("_security", "s")), None),
    *[((("identifier", "a"), (name, "x")), name) for name in sorted(RESULT_PARAMS)],
    ((("identifier", "a"), ("_include:iterate", "Observation:patient")), "_include"),
    ((("_containedFoo", "x"),), "_containedFoo"),
    ((("bad key!", "x"),), "is not a search parameter name"),
])
def test_criteria_refusal(params: tuple[tuple[str, str], ...], refused: str | None) -> None:
    why = criteria_refusal(params)
    if refused is None:
        assert why is None
    else:
        assert why is not None and refused in why


def test_result_parameters_are_refused_in_user_criteria_too() -> None:
    decision = judge("user/*.cruds", "DELETE Observation?identifier=a&_count=0", patient=None,
                     fhir_user="Practitioner/d1")
    assert decision.reason is Reason.REFUSED_PARAMETER
    assert "_count" in decision.message


def test_if_none_exist_on_patient_create_is_refused_as_a_create() -> None:
    decision = judge(ALL, "POST Patient", headers={"If-None-Exist": "identifier=a"})
    assert decision.reason is Reason.PATIENT_RECORD_WRITE


def test_narrow_conditional_without_create_scope() -> None:
    answer = narrow_conditional("identifier=a", grant("patient/*.rs"), "Observation")
    assert isinstance(answer, Decision) and answer.reason is Reason.INSUFFICIENT_SCOPE


def test_narrow_conditional_for_a_user_keeps_the_criteria() -> None:
    user = grant("user/*.cruds", patient=None, fhir_user="Practitioner/d1")
    assert narrow_conditional("identifier=a&patient=p2", user, "Observation") == \
        "identifier=a&patient=p2"


@pytest.mark.parametrize("text", ["GET Observation", "PUT Observation/o1", "DELETE Observation/o1"])
def test_if_none_exist_belongs_to_create_only(text: str) -> None:
    with pytest.raises(RequestError):
        call(text, headers={"If-None-Exist": "identifier=a"})
