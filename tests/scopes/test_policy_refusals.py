"""Refused parameters and operations (400), and the order of 403 before 400.

Peer-gateways (c) 2, 4, 8: ``_has`` in any form, chains, ``_filter``, ``_query``,
``_contained``, unknown ``_`` parameters, non-JSON ``_format``, GraphQL and operations no
rule proves safe are refused whatever the grant.
"""

from __future__ import annotations

import pytest

from scopes.decision import Reason
from tests.scopes.policy_calls import judge

REFUSED_SEARCHES = [
    "Observation?_has:Observation:patient:code=1234-5",
    "Patient?_has:Observation:patient:code=1234-5",
    "Patient?_has:Observation:subject:_has:Provenance:target:agent=x",
    "Observation?_has=x",
    "Observation?subject.name=smith",
    "Observation?patient.name=smith",
    "Observation?patient:Patient.name=smith",
    "Observation?subject:Patient.birthdate=2000",
    "Encounter?patient.identifier=x",
    "Observation?performer:Practitioner.name=x",
    "Observation?_filter=code eq 1234",
    "Observation?_query=special",
    "Observation?_contained=true",
    "Observation?_containedType=contained",
    "Observation?_type=Condition",
    "Observation?_foo=1",
    "Observation?_=123",
    "Observation?_format=xml",
    "Observation?_format=application/fhir%2Bxml",
    "Observation?_format=text/html",
    "Observation?_format=ttl",
    "Observation?_summary=bogus",
    "Observation?_total=all",
    "Observation?_pretty=yes",
    "Observation?_include=bogus",
    "Observation?_include=Observation:subject:patient",
    "Observation?_include:weird=Observation:subject",
    "Observation?_revinclude:missing=Provenance:target",
    "Observation?_count:missing=1",
    "Observation?_sort:text=date",
    "Observation?code:bogus=x",
    "Observation?code:=x",
    "Observation?:x=1",
    "Observation?=x",
    "Observation?co%20de=x",
    "Patient/p1/Observation?_has:Observation:patient:code=1",
    "Patient/p1/Observation?subject.name=x",
    "Observation/$lastn?_has:Observation:patient:code=1",
    "Observation/_history?code=x",
    "Observation/_history?_has:Observation:patient:code=1",
    "Observation/o1?code=x",
    "Observation/o1?_has:Observation:patient:code=1",
    "Observation/o1?_include=Observation:subject",
    "Observation/o1?_format=xml",
    "Observation/o1/_history?code=x",
    "Observation/o1/_history/1?_count=1",
    "Patient/p1/$everything?_has:Observation:patient:code=1",
    "Patient/p1/$everything?code=x",
    "Patient/p1/$everything?_type=observation",
    "Patient/p1/$everything?_since:missing=x",
]


@pytest.mark.parametrize("scopes", ["patient/*.rs", "user/*.rs", "system/*.rs"])
@pytest.mark.parametrize("path", REFUSED_SEARCHES)
def test_refused_parameters(scopes: str, path: str) -> None:
    decision = judge(scopes, f"GET {path}", fhir_user="Practitioner/d1")
    assert decision.reason is Reason.REFUSED_PARAMETER, decision
    assert not decision.allowed and decision.status == 400
    assert decision.mutations.params == () and not decision.mutations.empty_result


ALLOWED_SEARCHES = [
    "Observation?_include:iterate=Observation:has-member",
    "Observation?_include:recurse=Observation:derived-from",
    "Observation?_revinclude=Provenance:target",
    "Observation?_include=Observation:performer:Practitioner",
    "Observation?_format=application/fhir%2Bjson;%20fhirVersion=4.0",
    "Observation?_format=application/json",
    "Observation?_pretty=true",
    "Observation?_total=none",
    "Observation?_summary=data",
    "Observation?code:not=x",
    "Observation?code:above=x",
    "Observation?code:of-type=x",
    "Observation?subject:missing=true",
    "Observation?value-quantity=gt5",
    "Observation?_text=x&_content=y",
    "Observation?_security=R&_profile=http://x&_source=http://y",
    "Patient/p1/$everything?_type=Observation,Condition&_since=2020&start=2020&end=2021",
    "Patient/p1/$everything?_count=10&_format=json",
    "Practitioner/_history?_since=2020-01-01&_count=5&_at=2021",
    "Observation/o1?_format=json&_pretty=true&_summary=false",
    "Observation/o1/_history?_count=2&_since=2020",
]


@pytest.mark.parametrize("path", ALLOWED_SEARCHES)
def test_safe_parameters_pass(path: str) -> None:
    decision = judge("patient/*.rs", f"GET {path}")
    assert decision.reason is Reason.ALLOWED, decision.message


@pytest.mark.parametrize(("scopes", "text", "reason"), [
    # 403 (reveals nothing) comes before 400: the type is not granted at all
    ("patient/Condition.rs", "GET Observation?_has:Observation:patient:code=1",
     Reason.INSUFFICIENT_SCOPE),
    ("patient/Condition.rs", "GET Observation/o1?_format=xml", Reason.INSUFFICIENT_SCOPE),
    ("patient/Observation.r", "GET Observation?subject.name=x", Reason.INSUFFICIENT_SCOPE),
    # operations: an allow-list
    ("system/*.cruds", "GET $export", Reason.UNSUPPORTED),
    ("system/*.cruds", "GET Patient/$export", Reason.UNSUPPORTED),
    ("system/*.cruds", "GET Group/g1/$export", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET $graphql?query={Patient{id}}", Reason.UNSUPPORTED),
    ("patient/*.cruds", "POST $graphql", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET Patient/p1/$graphql", Reason.UNSUPPORTED),
    ("patient/*.cruds", "POST Observation/$validate", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET Patient/p1/$meta", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET Patient/$everything", Reason.UNSUPPORTED),
    ("patient/*.cruds", "POST Patient/p1/$everything", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET Observation/o1/$everything", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET Encounter/e1/$everything", Reason.UNSUPPORTED),
    ("patient/*.cruds", "POST Observation/$lastn", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET Condition/$lastn", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET Observation/o1/$lastn", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET Patient/p1/$match", Reason.UNSUPPORTED),
    ("patient/*.cruds", "GET $custom-thing", Reason.UNSUPPORTED),
    # system-wide search, history and batches are not decided by decide()
    ("patient/*.cruds", "GET ?_type=Observation", Reason.UNSUPPORTED),
    ("system/*.cruds", "GET _history", Reason.UNSUPPORTED),
    ("system/*.cruds", "POST _search", Reason.UNSUPPORTED),
    ("system/*.cruds", "POST ", Reason.UNSUPPORTED),
    # $everything: Patient read is the entry point; another patient's is absent
    ("patient/Observation.rs", "GET Patient/p1/$everything", Reason.INSUFFICIENT_SCOPE),
    ("patient/*.rs", "GET Patient/p2/$everything", Reason.NOT_FOUND),
    ("patient/*.rs", "GET Patient/p10/$everything", Reason.NOT_FOUND),
    ("patient/*.rs", "GET Patient/p1/$everything", Reason.ALLOWED),
    ("patient/Patient.r", "GET Patient/p1/$everything", Reason.ALLOWED),
    ("user/*.rs", "GET Patient/p2/$everything", Reason.ALLOWED),
    ("patient/*.rs", "GET metadata", Reason.PUBLIC),
])
def test_operation_and_status_rows(scopes: str, text: str, reason: Reason) -> None:
    decision = judge(scopes, text, fhir_user="Practitioner/d1")
    assert decision.reason is reason, decision.message
    assert decision.status == {Reason.ALLOWED: 200, Reason.PUBLIC: 200, Reason.NOT_FOUND: 404,
                               Reason.INSUFFICIENT_SCOPE: 403}.get(reason, 400)
    assert decision.not_found is (reason is Reason.NOT_FOUND)


def test_everything_is_post_filtered_per_resource() -> None:
    decision = judge("patient/*.rs", "GET Patient/p1/$everything?_type=Observation")
    checks = decision.post_checks
    assert decision.mutations.params == (("_type", "Observation"),)
    assert checks.confine_to_patient == "p1" and checks.letter == "s" and checks.strip_total


def test_everything_for_a_user_is_type_checked_only() -> None:
    decision = judge("user/*.rs", "GET Patient/p9/$everything", patient=None,
                     fhir_user="Practitioner/d1")
    assert decision.allowed and decision.post_checks.confine_to_patient is None
    assert decision.post_checks.letter == "s"
