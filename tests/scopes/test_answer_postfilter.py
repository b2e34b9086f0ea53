"""scopes.postfilter / scopes.postcheck: the post-call check of an upstream answer body."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopes.labels import DEFAULT_WITHHELD, V3_ACT_CODE
from scopes.postfilter import FilterResult, build_check, filter_answer
from scopes.scopeset import ScopeSet

OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
LAB = {"coding": [{"system": OBS_CAT, "code": "laboratory"}]}
VITALS = {"coding": [{"system": OBS_CAT, "code": "vital-signs"}]}
PSY = {"security": [{"system": V3_ACT_CODE, "code": "PSY"}]}


def ref(value: str) -> dict[str, str]:
    return {"reference": value}


def patient(id_: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": id_}


def obs(id_: str, who: str = "p1", **more: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": id_, "status": "final",
            "category": [LAB], "subject": ref(f"Patient/{who}"), **more}


def entry(resource: dict[str, Any], mode: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"fullUrl": f"https://up/fhir/{resource['resourceType']}/"
                                        f"{resource.get('id')}", "resource": resource}
    if mode:
        found["search"] = {"mode": mode}
    return found


def bundle(kind: str, *entries: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "link": [
        {"relation": "next", "url": "https://up/fhir?page=2"}], "entry": list(entries), **more}


def outcome(text: str = "warning") -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [
        {"severity": "warning", "code": "informational", "diagnostics": text}]}


PATIENT_ALL = build_check(ScopeSet.from_strings(["patient/*.rs"]), "p1", {"patient"},
                          DEFAULT_WITHHELD, "s")


def ids(document: dict[str, Any]) -> list[str]:
    return [e["resource"].get("id", e["resource"]["resourceType"])
            for e in document.get("entry", []) if "resource" in e]


# ---------------------------------------------------------------- single resources

@pytest.mark.parametrize(
    ("document", "refused"),
    [
        (obs("o1"), False),
        (obs("o2", who="p2"), True),
        (obs("o3", performer=[ref("Patient/p2")]), True),
        (obs("o4", meta=PSY), True),
        (obs("o5", contained=[patient("x")]), True),
        (patient("p1"), False),
        (patient("p10"), True),
        ({"resourceType": "Group", "id": "g"}, True),
        (outcome(), False),
        ({"resourceType": "OperationOutcome", "contained": [obs("c", who="p2")]}, True),
        ({"id": "no-type"}, True),
        (["not", "an", "object"], True),
        (None, True),
    ],
)
def test_single_resource_answer(document: Any, refused: bool) -> None:
    result = filter_answer(document, PATIENT_ALL, contained_check=PATIENT_ALL.contained)
    assert result.refused is refused
    assert result.document is document


# ---------------------------------------------------------------- searchset

def test_searchset_with_includes_and_outcome() -> None:
    answer = bundle(
        "searchset",
        entry(obs("mine", performer=[ref("Practitioner/dr")])), entry(obs("theirs", who="p2")),
        entry(obs("labelled", meta=PSY, performer=[ref("Practitioner/psy-dr")])),
        entry(patient("p1"), "include"), entry(patient("p2"), "include"),
        entry({"resourceType": "Practitioner", "id": "dr"}, "include"),
        entry({"resourceType": "Practitioner", "id": "psy-dr"}, "include"),
        entry({"resourceType": "Provenance", "id": "prov", "target": [
            ref("Patient/p2"), ref("Observation/theirs")]}, "include"),
        entry(outcome(), "outcome"),
        total=9,
    )
    link = copy.deepcopy(answer["link"])
    result = filter_answer(answer, PATIENT_ALL)
    # psy-dr passes the checks itself, but only the withheld match points at it: it would
    # tell that match existed, so it goes with it
    assert ids(result.document) == ["mine", "p1", "dr", "OperationOutcome"]
    assert result.removed == 5 and not result.refused
    assert "total" not in result.document
    assert result.document["link"] == link


@pytest.mark.parametrize(
    ("entries", "strip_total", "total_kept"),
    [
        ([obs("a")], False, True),
        ([obs("a")], True, False),
        ([obs("a"), obs("b", who="p2")], False, False),
        ([], False, True),
    ],
)
def test_total_dropped_when_filtering_could_have_changed_it(
    entries: list[dict[str, Any]], strip_total: bool, total_kept: bool,
) -> None:
    answer = bundle("searchset", *map(entry, entries), total=len(entries))
    result = filter_answer(answer, PATIENT_ALL, strip_total=strip_total)
    assert ("total" in result.document) is total_kept


def test_contained_resource_failing_removes_the_parent_whole() -> None:
    med_request = {"resourceType": "MedicationRequest", "id": "mr", "subject": ref("Patient/p1"),
                   "contained": [{"resourceType": "Medication", "id": "m"}],
                   "medicationReference": ref("#m")}
    only_requests = build_check(ScopeSet.from_strings(["patient/MedicationRequest.rs"]), "p1",
                                {"patient"}, DEFAULT_WITHHELD, "s")
    with_meds = build_check(ScopeSet.from_strings(
        ["patient/MedicationRequest.rs", "patient/Medication.rs"]), "p1", {"patient"},
        DEFAULT_WITHHELD, "s")
    for check, kept in ((only_requests, []), (with_meds, ["mr"])):
        answer = bundle("searchset", entry(copy.deepcopy(med_request)))
        result = filter_answer(answer, check, contained_check=check.contained)
        assert ids(result.document) == kept


@pytest.mark.parametrize(
    ("contained", "strict_kept", "contained_check_kept"),
    [
        ([{"resourceType": "Practitioner", "id": "d"}], True, True),
        ([obs("c")], True, True),
        ([{"resourceType": "Observation", "id": "c", "status": "final"}], False, True),
        ([obs("c", who="p2")], False, False),
        ([obs("c", meta=PSY)], False, False),
        ([patient("p1")], False, False),
        ([{"resourceType": "Group", "id": "g"}], False, True),  # its parent places it
        ([{"resourceType": "Group", "id": "g", "member": [{"entity": ref("Patient/p2")}]}],
         False, False),
        ("not a list", False, False),
        (["not an object"], False, False),
    ],
)
def test_contained_resources_are_checked(
    contained: Any, strict_kept: bool, contained_check_kept: bool,
) -> None:
    parent = obs("parent", contained=contained)
    strict = filter_answer(bundle("searchset", entry(copy.deepcopy(parent))), PATIENT_ALL)
    lenient = filter_answer(bundle("searchset", entry(copy.deepcopy(parent))), PATIENT_ALL,
                            contained_check=PATIENT_ALL.contained)
    assert (ids(strict.document) == ["parent"]) is strict_kept
    assert (ids(lenient.document) == ["parent"]) is contained_check_kept


# ---------------------------------------------------------------- history

def deleted(id_: str) -> dict[str, Any]:
    return {"fullUrl": f"https://up/fhir/Observation/{id_}",
            "request": {"method": "DELETE", "url": f"Observation/{id_}"},
            "response": {"status": "204 No Content"}}


@pytest.mark.parametrize(("keep_bare", "expected_ids", "entries_left"), [
    (False, ["v2", "v1"], 2),
    (True, ["v2", "v1"], 3),
])
def test_history_bundle_with_deleted_entries(
    keep_bare: bool, expected_ids: list[str], entries_left: int,
) -> None:
    answer = bundle("history", deleted("o1"), entry(obs("v2")), entry(obs("v1")),
                    entry(obs("other", who="p2")), total=4)
    result = filter_answer(answer, PATIENT_ALL, keep_bare_entries=keep_bare)
    assert ids(result.document) == expected_ids
    assert len(result.document["entry"]) == entries_left
    assert result.removed == 4 - entries_left
    assert "total" not in result.document


# ---------------------------------------------------------------- batch / transaction

@pytest.mark.parametrize("kind", ["batch-response", "transaction-response"])
def test_positional_bundles_answer_404_in_place(kind: str) -> None:
    inner = bundle("searchset", entry(obs("in-mine")), entry(obs("in-theirs", who="p2")),
                   total=2)
    answer = bundle(
        kind,
        {**entry(obs("mine")), "response": {"status": "200 OK"}},
        {**entry(obs("theirs", who="p2")), "response": {"status": "200 OK"}},
        {"response": {"status": "201 Created", "location": "Observation/new/_history/1"}},
        {"resource": inner, "response": {"status": "200 OK"}},
        {"resource": outcome("not found"), "response": {"status": "404 Not Found"}},
    )
    result = filter_answer(answer, PATIENT_ALL)
    entries = result.document["entry"]
    assert len(entries) == 5
    assert entries[0]["resource"]["id"] == "mine"
    assert entries[1] == {"response": {"status": "404 Not Found"}}
    assert entries[2]["response"]["status"] == "201 Created"
    assert ids(entries[3]["resource"]) == ["in-mine"]
    assert "total" not in entries[3]["resource"]
    assert entries[4]["resource"]["resourceType"] == "OperationOutcome"
    assert result.removed == 2


# ---------------------------------------------------------------- nesting, $everything, documents

def test_nested_bundles_in_a_collection_and_document() -> None:
    document = bundle("document", entry({"resourceType": "Composition", "id": "c",
                                         "subject": ref("Patient/p1")}),
                      entry(obs("theirs", who="p2")), signature={"data": "abc"})
    collection = bundle("collection", entry(document), entry(obs("mine")),
                        entry(bundle("collection", entry(patient("p3")), total=1)), total=3)
    result = filter_answer(collection, PATIENT_ALL, strip_total=True)
    assert result.removed == 2
    outer = result.document
    assert ids(outer) == ["Bundle", "mine", "Bundle"]
    assert ids(outer["entry"][0]["resource"]) == ["c"]
    assert "signature" not in outer["entry"][0]["resource"]
    assert ids(outer["entry"][2]["resource"]) == []
    assert "total" not in outer and "total" not in outer["entry"][2]["resource"]


def test_everything_output_is_filtered_per_type_and_patient() -> None:
    scopes = ScopeSet.from_strings([
        "patient/Patient.rs", f"patient/Observation.rs?category={OBS_CAT}|laboratory",
        "patient/Practitioner.rs"])
    check = build_check(scopes, "p1", {"patient"}, DEFAULT_WITHHELD, "s")
    answer = bundle(
        "searchset", entry(patient("p1")), entry(obs("lab")),
        entry(obs("vitals", category=[VITALS])),
        entry({"resourceType": "Condition", "id": "c", "subject": ref("Patient/p1")}),
        entry({"resourceType": "Practitioner", "id": "dr"}),
        entry({"resourceType": "Binary", "id": "b", "securityContext": ref("Patient/p1")}),
    )
    result = filter_answer(answer, check, contained_check=check.contained)
    assert ids(result.document) == ["p1", "lab", "dr"]


@pytest.mark.parametrize(
    ("answer", "refused", "removed"),
    [
        ({"resourceType": "Bundle", "type": "searchset"}, False, 0),
        ({"resourceType": "Bundle", "type": "searchset", "entry": "x"}, True, 0),
        ({"resourceType": "Bundle", "type": "searchset", "entry": [5, None, {}]}, False, 3),
        ({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": "x"}]},
         False, 1),
        ({"resourceType": "Bundle", "type": "searchset", "entry": [
            {"resource": {"resourceType": "Bundle", "entry": 3}}]}, False, 1),
    ],
)
def test_malformed_bundles_fail_closed(answer: dict[str, Any], refused: bool,
                                       removed: int) -> None:
    result = filter_answer(answer, PATIENT_ALL)
    assert (result.refused, result.removed) == (refused, removed)


# ---------------------------------------------------------------- build_check

LAB_SCOPE = f"patient/Observation.rs?category={OBS_CAT}|laboratory"
VITALS_USER = f"user/Observation.rs?category={OBS_CAT}|vital-signs"

# (granted, patient, contexts, letter, resource, labels, passes)
CHECKS: list[tuple[tuple[str, ...], str | None, Any, str, dict[str, Any], bool, bool]] = [
    (("patient/Observation.rs",), "p1", {"patient"}, "r", obs("a"), True, True),
    (("patient/Observation.rs",), "p1", {"patient"}, "r", obs("a", who="p2"), True, False),
    (("patient/Observation.rs",), "p1", {"patient"}, "r", obs("a", meta=PSY), True, False),
    (("patient/Observation.rs",), "p1", {"patient"}, "r", obs("a", meta=PSY), False, True),
    (("patient/Observation.rs",), "p1", {"patient"}, "r",
     {"resourceType": "Condition", "subject": ref("Patient/p1")}, True, False),
    (("patient/Observation.rs",), "p1", {"patient"}, "r", patient("p1"), True, False),
    (("patient/Observation.s",), "p1", {"patient"}, "r", obs("a"), True, False),
    (("patient/Observation.s",), "p1", {"patient"}, "s", obs("a"), True, True),
    (("patient/Observation.r",), "p1", {"patient"}, "s", obs("a"), True, False),
    (("patient/Observation.read",), "p1", {"patient"}, "s", obs("a"), True, True),
    (("patient/*.rs",), "p1", {"patient"}, "r", {"resourceType": "Practitioner"}, True, True),
    (("patient/*.rs",), "p1", {"patient"}, "r", {"resourceType": "Group"}, True, False),
    (("patient/*.rs",), "p1", {"patient"}, "r", {"resourceType": "*"}, True, False),
    (("patient/*.rs",), "p1", {"patient"}, "r", {"id": "no type"}, True, False),
    (("patient/*.rs",), "p1", {"patient"}, "r", {"resourceType": 5}, True, False),
    (("patient/Observation.rs",), None, {"patient"}, "r", obs("a"), True, False),
    (("patient/Observation.rs",), "p1", {"user", "system"}, "r", obs("a"), True, False),
    (("patient/Observation.rs",), "p1", None, "r", obs("a"), True, True),
    ((LAB_SCOPE,), "p1", {"patient"}, "s", obs("a"), True, True),
    ((LAB_SCOPE,), "p1", {"patient"}, "s", obs("a", category=[VITALS]), True, False),
    ((LAB_SCOPE,), "p1", {"patient"}, "s", obs("a", category=[VITALS, LAB]), True, True),
    ((LAB_SCOPE,), "p1", {"patient"}, "s", obs("a", who="p2"), True, False),
    (("user/Observation.rs",), None, {"user"}, "s", obs("a", who="p2"), True, True),
    (("user/Observation.rs",), None, {"user"}, "s", obs("a", meta=PSY), True, False),
    (("user/Observation.rs",), None, {"user"}, "s", {"resourceType": "Observation"}, True, True),
    (("system/*.rs",), None, {"system"}, "s", {"resourceType": "Group"}, True, True),
    (("user/Observation.rs",), None, {"patient"}, "s", obs("a"), True, False),
    ((LAB_SCOPE, VITALS_USER), "p1", {"patient", "user"}, "s",
     obs("a", who="p2", category=[VITALS]), True, True),
    ((LAB_SCOPE, VITALS_USER), "p1", {"patient", "user"}, "s", obs("a", who="p2"), True, False),
    ((LAB_SCOPE, VITALS_USER), "p1", {"patient", "user"}, "s", obs("a"), True, True),
    ((LAB_SCOPE, VITALS_USER), "p1", {"patient"}, "s",
     obs("a", who="p2", category=[VITALS]), True, False),
    (("patient/Observation.rs", "user/Observation.rs"), "p1", {"patient", "user"}, "s",
     obs("a", who="p2"), True, True),
]


@pytest.mark.parametrize(("granted", "patient_id", "contexts", "letter", "resource", "labels",
                          "passes"), CHECKS)
def test_build_check_table(
    granted: tuple[str, ...], patient_id: str | None, contexts: Any, letter: str,
    resource: dict[str, Any], labels: bool, passes: bool,
) -> None:
    check = build_check(ScopeSet.from_strings(granted), patient_id, contexts,
                        DEFAULT_WITHHELD if labels else (), letter)
    assert check(resource) is passes
    assert check(resource) is passes  # the per-type cache answers the same
    check.prepare([resource])
    assert check(resource) is passes  # and so does the prepared batch
    check.release()


batch_resources = st.lists(st.builds(
    lambda rt, who, key, other, ctype: {
        "resourceType": rt, "id": "r", key: ref(f"Patient/{who}"),
        **({"performer": [ref(f"Patient/{other}")]} if other else {}),
        **({"contained": [{"resourceType": ctype, "id": "c"}]} if ctype else {}),
    },
    st.sampled_from(["Observation", "Immunization", "Device", "Patient", "Group", "Binary"]),
    st.sampled_from(["p1", "p2", "p1/_history/2"]), st.sampled_from(["subject", "patient"]),
    st.sampled_from([None, "p1", "p2"]), st.sampled_from([None, "Medication", "Patient"]),
), max_size=8)


@settings(max_examples=200, deadline=None)
@given(batch_resources)
def test_a_prepared_batch_answers_like_one_by_one(resources: list[dict[str, Any]]) -> None:
    alone = [PATIENT_ALL(r) for r in resources]
    PATIENT_ALL.prepare(resources)
    try:
        assert [PATIENT_ALL(r) for r in resources] == alone
    finally:
        PATIENT_ALL.release()


@pytest.mark.parametrize("letter", ["c", "u", "d", "x", "rs"])
def test_build_check_is_for_reads_and_searches(letter: str) -> None:
    with pytest.raises(ValueError, match="reads and searches"):
        build_check(ScopeSet.from_strings(["patient/*.cruds"]), "p1", None, (), letter)


def test_build_check_refuses_malformed_labels() -> None:
    with pytest.raises(ValueError, match="system|code"):
        build_check(ScopeSet.from_strings(["patient/*.rs"]), "p1", None, ["PSY"])


@pytest.mark.parametrize(
    ("resource", "passes"),
    [
        ({"resourceType": "Observation", "id": "c", "status": "final"}, True),
        (obs("c", who="p2"), False),
        (patient("p1"), False),
        ({"resourceType": "Medication", "id": "m"}, True),
        ({"resourceType": "Medication", "id": "m", "meta": PSY}, False),
    ],
)
def test_contained_check_needs_no_subject_but_no_other_patient(
    resource: dict[str, Any], passes: bool,
) -> None:
    assert PATIENT_ALL.contained(resource) is passes


# ---------------------------------------------------------------- property

def resources_anywhere(node: Any) -> Iterator[dict[str, Any]]:
    """Every resource in an answer: entries, nested Bundles, contained (not Bundles/OOs)."""
    if not isinstance(node, dict):
        return
    if node.get("resourceType") == "Bundle":
        for item in node.get("entry", []) if isinstance(node.get("entry"), list) else []:
            if isinstance(item, dict):
                yield from resources_anywhere(item.get("resource"))
        return
    if node.get("resourceType") != "OperationOutcome":
        yield node
    for item in node.get("contained", []) if isinstance(node.get("contained"), list) else []:
        yield from resources_anywhere(item)


def allowed(resource: dict[str, Any]) -> bool:
    return resource.get("ok") is True


leaf_resources = st.builds(
    lambda rt, ok, n: {"resourceType": rt, "id": f"r{n}", "ok": ok},
    st.sampled_from(["Observation", "Patient", "Condition", "OperationOutcome"]),
    st.booleans(), st.integers(0, 99))
with_contained = st.builds(
    lambda parent, contained: {**parent, "contained": contained} if contained else parent,
    leaf_resources, st.lists(leaf_resources, max_size=3))
answers = st.recursive(
    with_contained,
    lambda inner: st.builds(
        lambda kind, entries, total: {"resourceType": "Bundle", "type": kind, "total": total,
                                      "entry": entries},
        st.sampled_from(["searchset", "history", "batch-response", "transaction-response",
                         "collection", "document"]),
        st.lists(st.one_of(
            st.builds(lambda r, mode: {"resource": r, "search": {"mode": mode}},
                      inner, st.sampled_from(["match", "include", "outcome"])),
            st.just({"response": {"status": "204 No Content"}}),
            st.just({"request": {"method": "DELETE", "url": "Observation/x"}}),
        ), max_size=6),
        st.integers(0, 10)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(answers, st.booleans(), st.booleans())
def test_no_failing_resource_survives_anywhere(
    answer: dict[str, Any], strip_total: bool, keep_bare: bool,
) -> None:
    result: FilterResult = filter_answer(copy.deepcopy(answer), allowed, strip_total=strip_total,
                                         keep_bare_entries=keep_bare)
    if result.refused:
        return
    survivors = list(resources_anywhere(result.document))
    assert all(allowed(r) for r in survivors)
    if result.removed and result.document.get("resourceType") == "Bundle":
        assert "total" not in result.document


@settings(max_examples=100, deadline=None)
@given(answers)
def test_filtering_an_allowed_answer_removes_nothing(answer: dict[str, Any]) -> None:
    everything = filter_answer(copy.deepcopy(answer), lambda r: True, keep_bare_entries=True)
    assert everything.removed == 0 and not everything.refused
