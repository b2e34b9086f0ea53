"""The synthetic data set: valid R4, deterministic, and covering what the project tests need."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from typing import Any

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class

from smart_proxy.sandbox import SandboxData, generate
from smart_proxy.sandbox.references import local_references

BASE = "http://sandbox.invalid/fhir"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"


@pytest.fixture(scope="module")
def data() -> list[dict[str, Any]]:
    return generate(42, 8)


def by_type(data: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in data if r["resourceType"] == resource_type]


def test_every_resource_parses_as_fhir_r4(data: list[dict[str, Any]]) -> None:
    for resource in data:
        model = get_fhir_model_class(resource["resourceType"])
        model.model_validate(resource)


def test_same_seed_gives_identical_bytes_and_another_seed_differs() -> None:
    assert orjson.dumps(generate(42, 8)) == orjson.dumps(generate(42, 8))
    assert orjson.dumps(generate(7, 8)) != orjson.dumps(generate(42, 8))
    assert generate(42, 8) is not generate(42, 8)  # callers get their own copies


def test_patient_count_follows_the_argument() -> None:
    assert [p["id"] for p in by_type(generate(1, 3), "Patient")] == ["p1", "p2", "p3"]
    assert len(by_type(generate(1, 11), "Patient")) == 11
    with pytest.raises(ValueError):
        generate(1, -1)


def test_ids_are_unique_and_references_resolve(data: list[dict[str, Any]]) -> None:
    keys = Counter(f"{r['resourceType']}/{r['id']}" for r in data)
    assert max(keys.values()) == 1
    for resource in data:
        for ref in local_references(resource, BASE):
            assert str(ref) in keys, (resource["id"], str(ref))


def test_patients_are_distinct_and_complete(data: list[dict[str, Any]]) -> None:
    patients = by_type(data, "Patient")
    assert len(patients) == 8
    names = {(p["name"][0]["given"][0], p["name"][0]["family"]) for p in patients}
    assert len(names) == 8
    for patient in patients:
        assert patient["identifier"][0]["value"]
        assert patient["gender"] in ("female", "male")
        assert patient["birthDate"] < "2024-06-01"
        assert patient["address"][0]["city"] and patient["telecom"]


def test_mother_and_child_share_family_and_address(data: list[dict[str, Any]]) -> None:
    mother, child = by_type(data, "Patient")[:2]
    assert mother["name"][0]["family"] == child["name"][0]["family"]
    assert mother["address"] == child["address"]
    (related,) = by_type(data, "RelatedPerson")
    assert related["patient"]["reference"] == "Patient/p2"
    assert related["name"][0]["given"] == mother["name"][0]["given"]


@pytest.mark.parametrize("resource_type", [
    "Patient", "Observation", "Condition", "MedicationRequest", "Medication",
    "AllergyIntolerance", "Immunization", "Encounter", "Procedure", "DiagnosticReport",
    "DocumentReference", "Binary", "Provenance", "CarePlan", "Goal", "Practitioner",
    "Organization", "Location", "RelatedPerson",
])
def test_each_required_type_is_present(data: list[dict[str, Any]], resource_type: str) -> None:
    assert by_type(data, resource_type)


def _codes(concepts: list[dict[str, Any]]) -> set[str]:
    return {c["code"] for concept in concepts for c in concept.get("coding", [])}


def test_observation_and_condition_categories(data: list[dict[str, Any]]) -> None:
    observed = set().union(*(_codes(o["category"]) for o in by_type(data, "Observation")))
    assert {"laboratory", "vital-signs", "social-history", "survey", "sdoh"} <= observed
    conditions = set().union(*(_codes(c["category"]) for c in by_type(data, "Condition")))
    assert conditions == {"problem-list-item", "encounter-diagnosis", "health-concern"}


def test_observations_have_values_subjects_and_dates(data: list[dict[str, Any]]) -> None:
    for obs in by_type(data, "Observation"):
        assert obs["subject"]["reference"].startswith("Patient/")
        assert obs["code"]["coding"][0]["system"] == "http://loinc.org"
        assert obs["effectiveDateTime"] and obs["performer"]
        assert any(k.startswith("value") for k in obs) or obs.get("component")


def test_medication_requests_use_both_medication_forms(data: list[dict[str, Any]]) -> None:
    requests = by_type(data, "MedicationRequest")
    references = [r for r in requests if "medicationReference" in r]
    concepts = [r for r in requests if "medicationCodeableConcept" in r]
    assert references and concepts
    shared = {m["id"] for m in by_type(data, "Medication")}
    assert {r["medicationReference"]["reference"][len("Medication/"):] for r in references} \
        <= shared


def test_documents_point_at_binaries_of_their_patient(data: list[dict[str, Any]]) -> None:
    binaries = {b["id"]: b for b in by_type(data, "Binary")}
    documents = by_type(data, "DocumentReference")
    assert len(documents) >= 8
    for document in documents:
        attachment = document["content"][0]["attachment"]
        binary = binaries[attachment["url"][len("Binary/"):]]
        assert binary["securityContext"] == {"reference": document["subject"]["reference"]}
        content = base64.b64decode(binary["data"])
        assert attachment["size"] == len(content)
        assert attachment["hash"] == base64.b64encode(hashlib.sha1(content).digest()).decode()


def test_diagnostic_reports_point_at_lab_results(data: list[dict[str, Any]]) -> None:
    observations = {o["id"]: o for o in by_type(data, "Observation")}
    for report in by_type(data, "DiagnosticReport"):
        for result in report["result"]:
            observation = observations[result["reference"][len("Observation/"):]]
            assert observation["subject"] == report["subject"]


def test_provenance_targets_records(data: list[dict[str, Any]]) -> None:
    targets = {t["reference"].split("/")[0] for p in by_type(data, "Provenance")
               for t in p["target"]}
    assert {"Patient", "Condition", "DocumentReference"} <= targets


def test_sensitive_labels_are_present(data: list[dict[str, Any]]) -> None:
    labels = Counter((s["system"], s["code"]) for r in data
                     for s in r.get("meta", {}).get("security", []))
    for code in ("PSY", "HIV", "ETH", "STD"):
        assert labels[(ACT_CODE, code)] >= 1, code
    assert labels[(CONFIDENTIALITY, "R")] >= 4
    p8 = next(p for p in by_type(data, "Patient") if p["id"] == "p8")
    assert {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"} \
        in p8["meta"]["security"]


def test_psy_story_has_restricted_note_condition_and_medication(data: list[dict[str, Any]]) -> None:
    def psy(resource: dict[str, Any]) -> bool:
        return any(s["code"] == "PSY" for s in resource.get("meta", {}).get("security", []))

    labelled_types = {r["resourceType"] for r in data if psy(r)}
    assert {"Condition", "MedicationRequest", "Observation", "DocumentReference",
            "Binary"} <= labelled_types
    assert all(r.get("subject", {}).get("reference", "Patient/p3") == "Patient/p3"
               for r in data if psy(r) and r["resourceType"] != "Binary")


def test_no_resource_is_later_than_the_reference_date(data: list[dict[str, Any]]) -> None:
    assert max(r["meta"]["lastUpdated"] for r in data) <= "2024-06-01T12:00:00Z"


def test_sandbox_data_wraps_the_generator() -> None:
    assert list(SandboxData.generate(3, 2).resources) == generate(3, 2)
    assert list(SandboxData.empty().resources) == []
