"""Search parameters, modifiers and result parameters, checked against the generated data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import generate

from .support import base_url, get_json, issue, keys

DATA = generate(42, 8)
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def expected(resource_type: str, keep: Callable[[dict[str, Any]], bool]) -> list[str]:
    return [f"{resource_type}/{r['id']}" for r in DATA
            if r["resourceType"] == resource_type and keep(r)]


def codes_of(resource: dict[str, Any], element: str) -> set[str]:
    value = resource.get(element, [])
    concepts = value if isinstance(value, list) else [value]
    return {c["code"] for concept in concepts for c in concept.get("coding", [])}


async def search(client: TestClient, query: str) -> list[str]:
    bundle = await get_json(client, f"/fhir/{query}{'&' if '?' in query else '?'}_count=200")
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(bundle.get("entry", []))
    return keys(bundle)


def of_p1(r: dict[str, Any]) -> bool:
    return r["subject"]["reference"] == "Patient/p1"


async def test_reference_forms_are_equivalent(client: TestClient) -> None:
    want = expected("Observation", of_p1)
    assert len(want) > 10
    base = base_url(client)
    for query in ("patient=p1", "patient=Patient/p1", "subject=Patient/p1", "subject=p1",
                  f"subject={base}/Patient/p1", "subject:Patient=p1",
                  "patient=Patient/p1/_history/1"):
        assert await search(client, f"Observation?{query}") == want, query
    assert await search(client, "Observation?subject=http://elsewhere.example/fhir/Patient/p1") \
        == []
    assert await search(client, "Observation?subject:Group=p1") == []


async def test_category_with_and_without_system(client: TestClient) -> None:
    vitals = expected("Observation", lambda r: "vital-signs" in codes_of(r, "category"))
    assert await search(client, "Observation?category=vital-signs") == vitals
    assert await search(client, f"Observation?category={OBS_CATEGORY}|vital-signs") == vitals
    assert await search(client, "Observation?category=http://other.example|vital-signs") == []
    sdoh = expected("Observation", lambda r: "sdoh" in codes_of(r, "category"))
    assert sdoh and await search(client, "Observation?category=sdoh") == sdoh


async def test_code_alternatives_are_ored_and_repeats_are_anded(client: TestClient) -> None:
    want = expected("Observation", lambda r: codes_of(r, "code") & {"8867-4", "9279-1"})
    query = "Observation?code=http://loinc.org|8867-4,9279-1"
    assert await search(client, query) == want
    both = expected("Observation", lambda r: of_p1(r) and codes_of(r, "code") & {"8867-4"})
    assert await search(client, "Observation?code=8867-4&patient=p1") == both
    assert await search(client, "Observation?code=8867-4&code=9279-1") == []
    assert await search(client, "Observation?code=|8867-4") == []
    loinc = await search(client, "Observation?code=http://loinc.org|&patient=p1")
    assert loinc == expected("Observation", of_p1)


async def test_token_modifiers(client: TestClient) -> None:
    not_vitals = expected("Observation", lambda r: of_p1(r) and "vital-signs"
                          not in codes_of(r, "category"))
    assert await search(client, "Observation?patient=p1&category:not=vital-signs") == not_vitals
    heart = expected("Observation", lambda r: "8867-4" in codes_of(r, "code"))
    assert await search(client, "Observation?code:text=heart") == heart


def day_of(r: dict[str, Any]) -> str:
    return str(r["effectiveDateTime"])[:10]


@pytest.mark.parametrize(("query", "keep"), [
    ("date=2024-05-15", lambda d: d == "2024-05-15"),
    ("date=eq2024-05", lambda d: d.startswith("2024-05")),
    ("date=ge2024-05-15", lambda d: d >= "2024-05-15"),
    ("date=gt2024-05-15", lambda d: d > "2024-05-15"),
    ("date=le2024-05-15", lambda d: d <= "2024-05-15"),
    ("date=lt2024-05-15", lambda d: d < "2024-05-15"),
    ("date=ne2024-05-15", lambda d: d != "2024-05-15"),
    ("date=ge2024-05-01&date=lt2024-05-10", lambda d: "2024-05-01" <= d < "2024-05-10"),
    ("date=2024-05-03,2024-05-04", lambda d: d in ("2024-05-03", "2024-05-04")),
    ("date=sa2024-05-20", lambda d: d > "2024-05-20"),
    ("date=eb2024", lambda d: d < "2024"),
])
async def test_date_prefixes(client: TestClient, query: str, keep: Callable[[str], bool]) -> None:
    want = expected("Observation", lambda r: r["subject"]["reference"] == "Patient/p6"
                    and keep(day_of(r)))
    assert want, query
    assert await search(client, f"Observation?patient=p6&{query}") == want


async def test_period_dates_and_last_updated(client: TestClient) -> None:
    encounters = expected("Encounter", lambda r: r["period"]["start"] < "2023")
    assert await search(client, "Encounter?date=lt2023") == encounters
    recent = expected("Observation", lambda r: r["meta"]["lastUpdated"] >= "2024-05-25")
    assert await search(client, "Observation?_lastUpdated=ge2024-05-25") == recent


async def test_condition_status_category_and_encounter(client: TestClient) -> None:
    active = expected("Condition", lambda r: "active" in codes_of(r, "clinicalStatus"))
    assert await search(client, "Condition?clinical-status=active") == active
    problems = expected("Condition", lambda r: "problem-list-item" in codes_of(r, "category"))
    assert await search(client, "Condition?category=problem-list-item") == problems
    concerns = expected("Condition", lambda r: "health-concern" in codes_of(r, "category"))
    assert len(concerns) == 8
    assert await search(client, "Condition?category=health-concern") == concerns
    encounter = next(r for r in DATA if r["resourceType"] == "Condition" and "encounter" in r)
    enc_id = encounter["encounter"]["reference"]
    at_visit = expected("Condition", lambda r: r.get("encounter", {}).get("reference") == enc_id)
    assert f"Condition/{encounter['id']}" in at_visit
    assert await search(client, f"Condition?encounter={enc_id}") == at_visit
    assert await search(client, "MedicationRequest?status=active&patient=p1") == expected(
        "MedicationRequest", lambda r: r["status"] == "active" and of_p1(r))


async def test_identifier(client: TestClient) -> None:
    mrn = "http://hospital.example.org/fhir/sid/mrn"
    assert await search(client, f"Patient?identifier={mrn}|100000") == ["Patient/p1"]
    assert await search(client, "Patient?identifier=100002") == ["Patient/p3"]
    assert await search(client, "Patient?identifier=other|100002") == []


async def test_names_are_case_and_accent_insensitive_prefixes(client: TestClient) -> None:
    p1 = next(r for r in DATA if r["id"] == "p1")
    family, given = p1["name"][0]["family"], p1["name"][0]["given"][0]
    family_of = expected("Patient", lambda r: r["name"][0]["family"] == family)
    assert family_of == ["Patient/p1", "Patient/p2"]
    assert await search(client, f"Patient?family={family[:3].lower()}") == family_of
    assert await search(client, f"Patient?name={family.upper()}") == family_of
    assert "Patient/p1" in await search(client, f"Patient?given={given}")
    assert await search(client, f"Patient?name:exact={family.lower()}") == []
    assert await search(client, f"Patient?name:exact={family}") == family_of
    assert await search(client, f"Patient?family:contains={family[2:5]}") == family_of
    assert await search(client, "Practitioner?family=nguy") == ["Practitioner/prac-1"]
    assert await search(client, "Practitioner?name=linh") == ["Practitioner/prac-1"]
    assert await search(client, "Patient?address-city=springfield") == expected(
        "Patient", lambda r: r["address"][0]["city"] == "Springfield")


async def test_id_security_and_missing(client: TestClient) -> None:
    assert await search(client, "Patient?_id=p2,p1") == ["Patient/p1", "Patient/p2"]
    psy = "http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY"
    assert await search(client, f"Condition?_security={psy}") == expected(
        "Condition", lambda r: any(s["code"] == "PSY" for s in r["meta"].get("security", [])))
    without = expected("Observation", lambda r: of_p1(r) and "encounter" not in r)
    assert await search(client, "Observation?patient=p1&encounter:missing=true") == without
    with_enc = expected("Observation", lambda r: of_p1(r) and "encounter" in r)
    assert await search(client, "Observation?patient=p1&encounter:missing=false") == with_enc


async def test_sort(client: TestClient) -> None:
    obs = [r for r in DATA if r["resourceType"] == "Observation" and of_p1(r)]
    by_date = sorted(obs, key=lambda r: r["effectiveDateTime"])  # stable: creation order
    assert await search(client, "Observation?patient=p1&_sort=date") == \
        [f"Observation/{r['id']}" for r in by_date]
    newest = sorted(obs, key=lambda r: r["effectiveDateTime"], reverse=True)
    assert await search(client, "Observation?patient=p1&_sort=-date") == \
        [f"Observation/{r['id']}" for r in newest]
    assert await search(client, "Patient?_sort=-_id") == [f"Patient/p{n}" for n in
                                                          (8, 7, 6, 5, 4, 3, 2, 1)]
    two_keys = sorted(sorted(obs, key=lambda r: r["id"], reverse=True),
                      key=lambda r: r["effectiveDateTime"])
    assert await search(client, "Observation?patient=p1&_sort=date,-_id") == \
        [f"Observation/{r['id']}" for r in two_keys]


async def test_sort_puts_missing_values_last(client: TestClient) -> None:
    ordered = await search(client, "Observation?patient=p1&_sort=encounter")
    ordered_desc = await search(client, "Observation?patient=p1&_sort=-encounter")
    without = set(expected("Observation", lambda r: of_p1(r) and "encounter" not in r))
    for listing in (ordered, ordered_desc):
        tail = listing[len(listing) - len(without):]
        assert set(tail) == without


async def test_summary_count_total_none_and_elements(client: TestClient) -> None:
    counted = await get_json(client, "/fhir/Observation?patient=p1&_summary=count")
    assert counted["total"] == len(expected("Observation", of_p1))
    assert "entry" not in counted
    untotalled = await get_json(client, "/fhir/Observation?patient=p1&_total=none&_count=2")
    assert "total" not in untotalled and len(untotalled["entry"]) == 2
    subset = await get_json(client, "/fhir/Observation?patient=p1&_elements=code,value[x]")
    resource = subset["entry"][0]["resource"]
    assert set(resource) <= {"resourceType", "id", "meta", "code", "valueQuantity",
                             "valueCodeableConcept", "valueInteger"}
    assert resource["meta"]["tag"][-1]["code"] == "SUBSETTED"
    data_only = await get_json(client, "/fhir/Patient?_id=p1&_summary=data")
    assert "text" not in data_only["entry"][0]["resource"]


async def test_post_search_with_a_form_body_equals_get(client: TestClient) -> None:
    response = await client.post("/fhir/Observation/_search",
                                 data={"patient": "p1", "category": "laboratory",
                                       "_count": "200"})
    assert response.status == 200
    posted = keys(await response.json(content_type=None))
    assert posted == await search(client, "Observation?patient=p1&category=laboratory")


@pytest.mark.parametrize(("query", "fragment"), [
    ("Observation?bogus=1", "Unknown search parameter 'bogus'"),
    ("Observation?subject.name=x", "Chained search parameter"),
    ("Observation?code:below=x", "Modifier :below"),
    ("Observation?date=yesterday", "Invalid date"),
    ("Observation?_count=-1", "_count must be a non-negative integer"),
    ("Observation?_sort=nonsense", "Unknown sort parameter"),
    ("Observation?_summary=true", "_summary=true is not supported"),
    ("Observation?_total=maybe", "_total=maybe"),
    ("Observation?code=", "Empty value"),
    ("Observation?encounter:missing=maybe", "takes true or false"),
    ("Observation?_include=Observation:code", "not a reference parameter"),
    ("Observation?_include=Nope:subject", "unknown resource type"),
    ("Observation?_include=subject", "Type:parameter"),
])
async def test_bad_searches_are_400(client: TestClient, query: str, fragment: str) -> None:
    body = await get_json(client, f"/fhir/{query}", status=400)
    assert fragment in issue(body)["diagnostics"]


async def test_lenient_handling_ignores_unknown_parameters(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir/Patient?bogus=1&_id=p1",
                            headers={"Prefer": "handling=lenient"})
    assert keys(bundle) == ["Patient/p1"]
    assert all("bogus" not in link["url"] for link in bundle["link"])


async def test_count_is_capped_and_zero_returns_only_a_total(client: TestClient) -> None:
    capped = await get_json(client, "/fhir/Observation?_count=5000")
    assert len(capped["entry"]) == 200 and capped["total"] == len(
        expected("Observation", lambda r: True))
    zero = await get_json(client, "/fhir/Observation?_count=0")
    assert "entry" not in zero and zero["total"] == capped["total"]


async def test_types_never_generated_search_empty(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir/Consent?patient=p1")
    assert bundle["total"] == 0 and "entry" not in bundle


async def test_system_search_across_types(client: TestClient) -> None:
    bundle = await get_json(client, "/fhir?_type=Patient,Practitioner&_id=p1,prac-2")
    assert keys(bundle) == ["Patient/p1", "Practitioner/prac-2"]
    assert "_type=Patient%2CPractitioner" in bundle["link"][0]["url"]
