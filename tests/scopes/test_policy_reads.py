"""Reads, vreads and histories: allowed with post-checks, 404 for another patient's Patient.

Reads cannot be narrowed before the call; the post-check (compartment, granular filters)
answers 404 for a resource that fails it, the same answer as for an absent one.
"""

from __future__ import annotations

import pytest

from scopes import ScopeSet
from scopes.access import GrantContext
from scopes.decision import Mismatch, Reason
from scopes.policy import decide
from tests.scopes.policy_calls import LAB_SCOPE, call, judge

ALL = "patient/*.rs"

# scopes, call, reason, confine_to_patient, granular?, on_mismatch, strip_total
ROWS = [
    (ALL, "GET Observation/o1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "HEAD Observation/o1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Observation/o1/_history/2", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Observation/o1/_history", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, True),
    (ALL, "GET Condition/c1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Device/d1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Patient/p1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Patient/p1/_history/3", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Patient/p1/_history", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, True),
    (ALL, "GET Practitioner/d1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET PractitionerRole/r1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Organization/o1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Location/l1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    (ALL, "GET Medication/m1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    ("patient/Practitioner.r", "GET Practitioner/d1", Reason.ALLOWED, "p1", False,
     Mismatch.NOT_FOUND, False),
    (LAB_SCOPE, "GET Observation/o1", Reason.ALLOWED, "p1", True, Mismatch.NOT_FOUND, False),
    (LAB_SCOPE, "GET Observation/o1/_history/1", Reason.ALLOWED, "p1", True,
     Mismatch.NOT_FOUND, False),
    ("user/*.rs", "GET Patient/p2", Reason.ALLOWED, None, False, Mismatch.NOT_FOUND, False),
    ("user/*.rs", "GET Observation/o1/_history", Reason.ALLOWED, None, False,
     Mismatch.NOT_FOUND, False),
    ("system/Observation.r", "GET Observation/o1", Reason.ALLOWED, None, False,
     Mismatch.NOT_FOUND, False),
    ("user/Observation.rs?category=x|y", "GET Observation/o1", Reason.ALLOWED, None, True,
     Mismatch.NOT_FOUND, False),
    # type history: nothing narrows it to the patient, so a patient grant is refused (its
    # paging alone would show every patient's activity); shared types are not confined
    (ALL, "GET Observation/_history", Reason.UNSUPPORTED, None, False, Mismatch.DROP, False),
    (ALL, "GET Observation/_history?_since=2020-01-01", Reason.UNSUPPORTED, None, False,
     Mismatch.DROP, False),
    (ALL, "GET Patient/_history", Reason.UNSUPPORTED, None, False, Mismatch.DROP, False),
    (ALL, "GET Practitioner/_history", Reason.ALLOWED, "p1", False, Mismatch.DROP, True),
    ("user/*.rs", "GET Observation/_history", Reason.ALLOWED, None, False, Mismatch.DROP, False),
    # another patient's Patient: 404 before any call, like an absent one
    (ALL, "GET Patient/p2", Reason.NOT_FOUND, None, False, Mismatch.DROP, False),
    (ALL, "HEAD Patient/p2", Reason.NOT_FOUND, None, False, Mismatch.DROP, False),
    (ALL, "GET Patient/p10", Reason.NOT_FOUND, None, False, Mismatch.DROP, False),
    (ALL, "GET Patient/P1", Reason.NOT_FOUND, None, False, Mismatch.DROP, False),
    (ALL, "GET Patient/p2/_history/1", Reason.NOT_FOUND, None, False, Mismatch.DROP, False),
    (ALL, "GET Patient/p2/_history", Reason.NOT_FOUND, None, False, Mismatch.DROP, False),
    # type or interaction not granted: 403, decided from the grant alone
    ("patient/Observation.s", "GET Observation/o1", Reason.INSUFFICIENT_SCOPE, None, False,
     Mismatch.DROP, False),
    ("patient/Observation.r", "GET Observation/_history", Reason.INSUFFICIENT_SCOPE, None,
     False, Mismatch.DROP, False),
    ("patient/Observation.rs", "GET Condition/c1", Reason.INSUFFICIENT_SCOPE, None, False,
     Mismatch.DROP, False),
    ("patient/Observation.rs", "GET Practitioner/d1", Reason.INSUFFICIENT_SCOPE, None, False,
     Mismatch.DROP, False),
    # Binary: read confined to the patient (the plumbing judges what speaks for it; the
    # post-check alone refuses it), never searched under a patient/ scope
    (ALL, "GET Binary/b1", Reason.ALLOWED, "p1", False, Mismatch.NOT_FOUND, False),
    ("patient/Binary.rs", "GET Binary/b1/_history/2", Reason.ALLOWED, "p1", False,
     Mismatch.NOT_FOUND, False),
    (ALL, "GET Binary?_id=b1", Reason.INSUFFICIENT_SCOPE, None, False, Mismatch.DROP, False),
    ("patient/Binary.s", "GET Binary/b1", Reason.INSUFFICIENT_SCOPE, None, False,
     Mismatch.DROP, False),
    ("patient/DocumentReference.rs", "GET Binary/b1", Reason.INSUFFICIENT_SCOPE, None, False,
     Mismatch.DROP, False),
    (ALL, "GET Questionnaire/q1", Reason.INSUFFICIENT_SCOPE, None, False, Mismatch.DROP, False),
    (ALL, "GET ValueSet?url=x", Reason.INSUFFICIENT_SCOPE, None, False, Mismatch.DROP, False),
    ("patient/*.rs", "GET Patient/p2", Reason.NO_CONTEXT, None, False, Mismatch.DROP, False),
]


@pytest.mark.parametrize(
    ("scopes", "text", "reason", "confine", "granular", "mismatch", "strip"), ROWS)
def test_read_rows(scopes: str, text: str, reason: Reason, confine: str | None,
                   granular: bool, mismatch: Mismatch, strip: bool) -> None:
    patient = None if reason is Reason.NO_CONTEXT else "p1"
    user = "Practitioner/d9" if scopes.startswith("user/") else None
    decision = judge(scopes, text, patient=patient, fhir_user=user)
    assert decision.reason is reason, decision.message
    if not decision.allowed:
        assert decision.mutations.params == () and decision.post_checks.letter is None
        assert decision.not_found is (reason is Reason.NOT_FOUND)
        return
    checks = decision.post_checks
    assert checks.confine_to_patient == confine
    assert (checks.granular is not None) is granular
    assert checks.on_mismatch is mismatch
    assert checks.strip_total is strip
    assert checks.letter == ("s" if mismatch is Mismatch.DROP else "r")
    assert not decision.requires_stored_read and decision.body_rule is None


@pytest.mark.parametrize(("text", "params"), [
    ("GET Observation/o1?_format=json", (("_format", "json"),)),
    ("GET Observation/o1?_elements=code", ()),
    ("GET Observation/o1?_summary=true&_pretty=true", (("_pretty", "true"),)),
    ("GET Observation/o1?_summary=false", (("_summary", "false"),)),
    ("GET Observation/o1/_history?_count=2", (("_count", "2"),)),
])
def test_read_params_forwarded(text: str, params: tuple) -> None:
    assert judge(ALL, text).mutations.params == params


def test_user_read_keeps_subsetting_parameters() -> None:
    decision = judge("user/*.rs", "GET Observation/o1?_elements=code", fhir_user="Practitioner/d1")
    assert decision.mutations.params == (("_elements", "code"),)


def test_shared_types_are_configurable() -> None:
    grant = GrantContext(ScopeSet.from_strings(["patient/*.rs"]), "p1",
                         shared_types=frozenset({"Questionnaire"}))
    assert decide(grant, call("GET Questionnaire/q1")).allowed
    assert decide(grant, call("GET Questionnaire?url=x")).mutations.params == (("url", "x"),)
    assert decide(grant, call("GET Practitioner/d1")).reason is Reason.INSUFFICIENT_SCOPE


def test_decide_accepts_now() -> None:
    grant = GrantContext(ScopeSet.from_strings(["patient/*.rs"]), "p1")
    assert decide(grant, call("GET Observation/o1"), 1_700_000_000.0).allowed


@pytest.mark.parametrize(("scopes", "fhir_user", "text", "reason"), [
    ("patient/Patient.rs", "Patient/me", "GET Patient/me", Reason.ALLOWED),
    ("patient/Patient.rs", "https://ehr.example/fhir/Patient/me", "GET Patient/me", Reason.ALLOWED),
    ("patient/Patient.rs", "Patient/me", "GET Patient/me/_history/1", Reason.ALLOWED),
    ("patient/RelatedPerson.rs", "RelatedPerson/rp1", "GET RelatedPerson/rp1", Reason.ALLOWED),
    ("patient/Patient.rs", "Patient/me", "GET Patient/me/_history", Reason.NOT_FOUND),
    ("patient/Patient.rs", "Patient/me", "GET Patient/me2", Reason.NOT_FOUND),
    ("patient/Patient.rs", "Patient/me", "GET Patient?_id=me", Reason.EMPTY_RESULT),
    ("patient/Observation.rs", "Patient/me", "GET Patient/me", Reason.INSUFFICIENT_SCOPE),
    ("patient/Patient.s", "Patient/me", "GET Patient/me", Reason.INSUFFICIENT_SCOPE),
])
def test_the_users_own_fhir_user_resource_is_readable(
    scopes: str, fhir_user: str, text: str, reason: Reason
) -> None:
    """Conformance 107/131: a parent acting for child p1 still reads their own Patient."""
    decision = judge(scopes, text, patient="p1", fhir_user=fhir_user)
    assert decision.reason is reason, decision.message
    if reason is Reason.ALLOWED:
        assert decision.post_checks.confine_to_patient is None
        assert decision.post_checks.letter == "r"
