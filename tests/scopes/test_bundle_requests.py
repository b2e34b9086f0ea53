"""Batch and transaction Bundles: each entry is its own request; transactions are all-or-nothing."""

from __future__ import annotations

from typing import Any

import pytest

from scopes.bundle_requests import (
    MAX_BUNDLE_ENTRIES,
    EntryError,
    decide_bundle,
    parse_bundle,
)
from scopes.decision import ALL_PATIENT_REFS_MUST_BE_P, Reason
from scopes.interaction import Interaction
from scopes.request import FhirRequest, RequestError
from tests.scopes.policy_calls import grant

ALL = grant("patient/*.cruds")
OBS = {"resourceType": "Observation", "subject": {"reference": "Patient/p1"}}


def entry(method: str, url: str, resource: Any = None, **request: str) -> dict[str, Any]:
    found: dict[str, Any] = {"request": {"method": method, "url": url, **request}}
    if resource is not None:
        found["resource"] = resource
    return found


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


@pytest.mark.parametrize("body", [
    None, [], "Bundle", {"resourceType": "Patient"},
    {"resourceType": "Bundle"},
    {"resourceType": "Bundle", "type": "collection", "entry": []},
    {"resourceType": "Bundle", "type": "searchset", "entry": []},
    {"resourceType": "Bundle", "type": "document", "entry": []},
    {"resourceType": "Bundle", "type": "batch", "entry": {}},
    bundle("batch", *[entry("GET", f"Observation/o{i}") for i in range(MAX_BUNDLE_ENTRIES + 1)]),
])
def test_unusable_bundles_are_refused(body: object) -> None:
    with pytest.raises(RequestError):
        parse_bundle(body)


def test_entry_cap_is_inclusive() -> None:
    entries = [entry("GET", f"Observation/o{i}") for i in range(MAX_BUNDLE_ENTRIES)]
    assert len(parse_bundle(bundle("batch", *entries)).entries) == MAX_BUNDLE_ENTRIES
    assert parse_bundle({"resourceType": "Bundle", "type": "batch"}).entries == ()


@pytest.mark.parametrize("bad", [
    {}, {"request": "GET Patient"}, {"request": {"method": "GET"}},
    {"request": {"url": "Patient/p1"}}, {"request": {"method": "GET", "url": ""}},
    {"request": {"method": 1, "url": "Patient/p1"}},
    entry("GET", "http://ehr.example/fhir/Patient/p1"),
    entry("GET", "/Patient/p1"),
    entry("GET", "Patient/p1#x"),
    entry("GET", "Patient/../Observation"),
    entry("GET", "Observation/o%2F1"),
    entry("OPTIONS", "Patient/p1"),
    entry("GET", "metadata"),
    entry("POST", "_search"),
    entry("GET", "_history"),
    entry("GET", "?_type=Observation"),
    entry("POST", "Observation", OBS, ifNoneExist=1),  # type: ignore[arg-type]
    entry("GET", "Observation", ifNoneExist="identifier=a"),
])
def test_unreadable_entries_become_entry_errors(bad: dict[str, Any]) -> None:
    parsed = parse_bundle(bundle("batch", bad))
    assert isinstance(parsed.entries[0], EntryError)
    decided = decide_bundle(ALL, parsed.entries, "batch")
    assert decided.allowed and decided.entries[0].status == 400
    refused = decide_bundle(ALL, parse_bundle(bundle("transaction", bad)).entries, "transaction")
    assert not refused.allowed and refused.status == 400 and refused.message.startswith("entry 0")


def test_entries_are_parsed_like_requests() -> None:
    patch = {"resourceType": "Binary", "contentType": "application/json-patch+json", "data": "W10="}
    parsed = parse_bundle(bundle(
        "transaction",
        entry("POST", "Observation", OBS, ifNoneExist="identifier=a"),
        entry("GET", "Observation?code=x&patient=p1"),
        entry("PUT", "Observation/o1", OBS),
        entry("PATCH", "Observation/o2", patch),
        entry("DELETE", "Observation?identifier=b"),
        entry("GET", "Patient/p1/Condition"),
        entry("get", "Patient/p1"),
    ))
    first, search, update, json_patch, delete, compartment, read = parsed.entries
    assert parsed.kind == "transaction"
    assert isinstance(first, FhirRequest) and first.if_none_exist == "identifier=a"
    assert first.body is OBS and first.interaction is Interaction.CREATE
    assert isinstance(search, FhirRequest)
    assert search.params == (("code", "x"), ("patient", "p1"))
    assert isinstance(update, FhirRequest) and update.content_type is None
    assert isinstance(json_patch, FhirRequest) and json_patch.content_type == "application/json-patch+json"
    assert isinstance(delete, FhirRequest) and delete.is_conditional
    assert isinstance(compartment, FhirRequest) and compartment.compartment == ("Patient", "p1")
    assert isinstance(read, FhirRequest) and read.method == "GET"
    decided = decide_bundle(ALL, parsed.entries, parsed.kind)
    assert decided.allowed and decided.status == 200
    assert [d.reason for d in decided.entries] == [Reason.ALLOWED] * 7
    assert decided.entries[0].mutations.if_none_exist == "identifier=a&patient=Patient/p1"
    assert decided.entries[0].body_rule == ALL_PATIENT_REFS_MUST_BE_P
    assert decided.entries[1].mutations.params == (("code", "x"), ("patient", "Patient/p1"))
    assert decided.entries[3].requires_stored_read
    assert decided.entries[4].mutations.params == (("identifier", "b"), ("patient", "Patient/p1"))


BAD_ENTRIES = [
    (entry("POST", "Patient", {"resourceType": "Patient"}), Reason.PATIENT_RECORD_WRITE),
    (entry("GET", "Patient/p2"), Reason.NOT_FOUND),
    (entry("PUT", "Patient/p2", {"resourceType": "Patient", "id": "p2"}), Reason.NOT_FOUND),
    (entry("DELETE", "Observation?patient=p2"), Reason.NOT_FOUND),
    # an empty searchset cannot be answered inside a transaction: 404 for the whole
    (entry("GET", "Observation?patient=p2"), Reason.NOT_FOUND),
    (entry("GET", "Patient/p2/Observation"), Reason.NOT_FOUND),
    (entry("GET", "Observation?_has:Observation:patient:code=1"), Reason.REFUSED_PARAMETER),
    (entry("GET", "Observation?subject.name=x"), Reason.REFUSED_PARAMETER),
    (entry("PATCH", "Observation/o1", {"resourceType": "Parameters", "parameter": []}),
     Reason.UNSUPPORTED),
    (entry("PATCH", "Observation/o1", {"resourceType": "Binary", "contentType": "text/plain"}),
     Reason.UNSUPPORTED),
    (entry("GET", "Patient/p1/$graphql"), Reason.UNSUPPORTED),
    (entry("GET", "$export"), Reason.UNSUPPORTED),
    (entry("POST", "Practitioner", {"resourceType": "Practitioner"}), Reason.INSUFFICIENT_SCOPE),
    (entry("POST", "Observation", OBS, ifNoneExist="patient=p2"), Reason.NOT_FOUND),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ENTRIES)
def test_one_bad_entry_refuses_the_whole_transaction(bad: dict[str, Any], reason: Reason) -> None:
    good = entry("POST", "Observation", OBS)
    parsed = parse_bundle(bundle("transaction", good, bad, good))
    decided = decide_bundle(ALL, parsed.entries, "transaction")
    assert not decided.allowed
    assert decided.reason is reason and decided.message.startswith("entry 1: ")
    assert decided.status == reason.status
    assert decided.entries[0].allowed and decided.entries[2].allowed


EMPTY_IN_A_BATCH = (("GET", "Observation?patient=p2"), ("GET", "Patient/p2/Observation"))


@pytest.mark.parametrize(("bad", "reason"), BAD_ENTRIES)
def test_a_bad_batch_entry_gets_its_own_error(bad: dict[str, Any], reason: Reason) -> None:
    good = entry("GET", "Observation?code=x")
    parsed = parse_bundle(bundle("batch", good, bad))
    decided = decide_bundle(ALL, parsed.entries, "batch")
    assert decided.allowed and decided.reason is Reason.ALLOWED
    assert decided.entries[0].mutations.params == (("code", "x"), ("patient", "Patient/p1"))
    second = decided.entries[1]
    if (bad["request"]["method"], bad["request"]["url"]) in EMPTY_IN_A_BATCH:
        assert second.allowed and second.mutations.empty_result
    else:
        assert not second.allowed and second.reason is reason


def test_decide_bundle_caps_entries_itself() -> None:
    requests = parse_bundle(bundle("batch", entry("GET", "Observation"))).entries
    decided = decide_bundle(ALL, requests * (MAX_BUNDLE_ENTRIES + 1), "batch")
    assert not decided.allowed and decided.status == 400 and decided.entries == ()
    with pytest.raises(ValueError, match="kind"):
        decide_bundle(ALL, requests, "collection")


def test_user_transaction_is_judged_by_type_only() -> None:
    user = grant("user/Observation.cruds", patient=None, fhir_user="Practitioner/d1")
    parsed = parse_bundle(bundle("transaction", entry("GET", "Observation?patient=p2"),
                                 entry("POST", "Observation", OBS)))
    decided = decide_bundle(user, parsed.entries, "transaction")
    assert decided.allowed
    assert decided.entries[0].mutations.params == (("patient", "p2"),)
    assert decided.entries[1].body_rule is None
    parsed = parse_bundle(bundle("transaction", entry("POST", "Condition", {})))
    assert decide_bundle(user, parsed.entries, "transaction").reason is Reason.INSUFFICIENT_SCOPE
