"""Batch and transaction Bundles through the real proxy to the sandbox FHIR server.

Each entry is judged and checked like the request it stands for; a transaction is refused
whole, a batch entry by entry.  What was written is read back from the sandbox's own store.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import SandboxStore

FHIR_JSON = "application/fhir+json"
ENCOUNTER_URN = "urn:uuid:6f1c2a3b-4d5e-4f60-8a71-9b8c7d6e5f40"
PATIENT_URN = "urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture
async def p1(issue_token: Any) -> dict[str, str]:
    token = await issue_token(scopes=("patient/*.cruds",), patient="p1")
    return {"Authorization": f"Bearer {token}"}


def observation(subject: str = "p1", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "note"},
            "subject": {"reference": f"Patient/{subject}"}, **extra}


def entry(method: str, url: str, resource: Any = None, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"request": {"method": method, "url": url}, **fields}
    if resource is not None:
        found["resource"] = resource
    return found


def conditional_get(url: str, **conditions: str) -> dict[str, Any]:
    """A read entry with ``request.ifNoneMatch``/``ifModifiedSince`` (bundle.html#request)."""
    return {"request": {"method": "GET", "url": url, **conditions}}


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def count(stored: SandboxStore, resource_type: str = "Observation") -> int:
    return len(stored.live(resource_type))


async def post(proxy: TestClient, auth: dict[str, str], document: dict[str, Any]) -> Any:
    return await proxy.post("/fhir", data=orjson.dumps(document),
                            headers={**auth, "Content-Type": FHIR_JSON})


async def outcome(response: Any, status: int, code: str) -> str:
    assert response.status == status
    body = await response.json(content_type=FHIR_JSON)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == code
    return str(body["issue"][0]["diagnostics"])


def statuses(answer: dict[str, Any]) -> list[str]:
    return [e["response"]["status"] for e in answer["entry"]]


# --- transaction: all or nothing --------------------------------------------------------------


@pytest.mark.parametrize(("bad", "status", "code"), [
    (entry("POST", "Observation", observation("p2")), 403, "forbidden"),
    (entry("POST", "Observation", observation(performer=[{"reference": "Patient/p2"}])), 403,
     "forbidden"),
    (entry("PUT", "Observation/obs-p2-1", observation("p1", id="obs-p2-1")), 404, "not-found"),
    (entry("DELETE", "Observation/obs-p2-1"), 404, "not-found"),
    (entry("POST", "Observation", observation(performer=[{"reference": "urn:uuid:"
                                                           "11111111-2222-4333-8444-555555555555"}])),
     400, "invalid"),
    (entry("GET", "Patient/p2"), 404, "not-found"),
])
async def test_transaction_with_one_bad_entry_is_refused_whole(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any, bad: Any, status: int, code: str,
) -> None:
    before = count(stored)
    document = bundle("transaction", entry("POST", "Observation", observation("p1")), bad)
    why = await outcome(await post(proxy, p1, document), status, code)
    assert why.startswith("entry 1: ")
    assert count(stored) == before
    assert "obs-p2-1" in {v.id for v in stored.live("Observation")}
    assert sandbox.posted == []


async def test_transaction_with_internal_references_is_written(
    proxy: TestClient, p1: Any, stored: Any
) -> None:
    encounter = {"resourceType": "Encounter", "status": "finished",
                 "class": {"code": "AMB"}, "subject": {"reference": "Patient/p1"}}
    document = bundle(
        "transaction",
        entry("POST", "Encounter", encounter, fullUrl=ENCOUNTER_URN),
        entry("POST", "Observation", observation(encounter={"reference": ENCOUNTER_URN})),
    )
    response = await post(proxy, p1, document)
    assert response.status == 200
    answer = await response.json(content_type=None)
    assert answer["type"] == "transaction-response"
    assert statuses(answer) == ["201 Created", "201 Created"]
    created = answer["entry"][1]["resource"]
    encounter_id = created["encounter"]["reference"].split("/")[-1]
    assert stored.current("Encounter", encounter_id).require()["subject"]["reference"] == "Patient/p1"
    assert stored.current("Observation", created["id"]).require()["encounter"] == {
        "reference": f"Encounter/{encounter_id}"}


async def test_transaction_creating_a_patient_and_referencing_it_is_refused(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    document = bundle(
        "transaction",
        entry("POST", "Patient", {"resourceType": "Patient"}, fullUrl=PATIENT_URN),
        entry("POST", "Observation", {**observation(), "subject": {"reference": PATIENT_URN}}),
    )
    await outcome(await post(proxy, p1, document), 403, "forbidden")
    assert count(stored, "Patient") == 8
    assert sandbox.posted == []


async def test_transaction_carrying_a_patient_is_refused(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    document = bundle(
        "transaction",
        entry("PUT", "Patient/p1", {"resourceType": "Patient", "id": "p1", "gender": "other"}),
        entry("POST", "Observation", observation()),
    )
    why = await outcome(await post(proxy, p1, document), 403, "forbidden")
    assert why == "entry 0: A transaction of a patient-context app cannot carry a Patient."
    assert stored.current("Patient", "p1").version_id == 1
    assert sandbox.posted == []


async def test_transaction_referencing_a_patient_entry_by_urn_is_refused(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    # Updating one's own Patient is fine alone; inside a transaction its entry could be
    # the target of the transaction's own references, so it is refused there.
    document = bundle(
        "transaction",
        entry("PUT", "Patient/p1", {"resourceType": "Patient", "id": "p1"}, fullUrl=PATIENT_URN),
        entry("POST", "Observation", {**observation(), "subject": {"reference": PATIENT_URN}}),
    )
    await outcome(await post(proxy, p1, document), 403, "forbidden")
    assert stored.current("Patient", "p1").version_id == 1
    assert sandbox.posted == []


async def test_transaction_write_entries_are_pinned_and_narrowed(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    patch = [{"op": "replace", "path": "/status", "value": "amended"}]
    binary = {"resourceType": "Binary", "contentType": "application/json-patch+json",
              "data": base64.b64encode(orjson.dumps(patch)).decode()}
    document = bundle(
        "transaction",
        entry("PATCH", "Observation/obs-p1-2", binary),
        entry("GET", "Observation?code=8867-4"),
    )
    response = await post(proxy, p1, document)
    assert response.status == 200
    assert stored.current("Observation", "obs-p1-2").require()["status"] == "amended"
    sent = sandbox.posted[0]["entry"]
    assert sent[0]["request"] == {"method": "PATCH", "url": "Observation/obs-p1-2", "ifMatch": 'W/"1"'}
    assert sent[1]["request"]["url"] == "Observation?code=8867-4&patient=Patient/p1"


# --- batch: entry by entry --------------------------------------------------------------------


async def test_batch_with_mixed_entries_answers_each_in_order(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    before = count(stored)
    document = bundle(
        "batch",
        entry("POST", "Observation", observation("p1", code={"text": "mine"})),
        entry("POST", "Observation", observation("p2", code={"text": "theirs"})),
        entry("GET", "Patient/p2"),
        entry("PUT", "Observation/obs-p2-1", observation("p1", id="obs-p2-1")),
        entry("GET", "Observation?patient=p2"),
        entry("POST", "Observation", observation("p1", performer=[
            {"type": "Patient", "identifier": {"value": "mrn-1"}}])),
        entry("GET", "Observation/obs-p1-2"),
    )
    response = await post(proxy, p1, document)
    assert response.status == 200
    answer = await response.json(content_type=None)
    assert answer["type"] == "batch-response"
    assert statuses(answer) == ["201 Created", "403 Forbidden", "404 Not Found",
                                "404 Not Found", "200 OK", "400 Bad Request", "200 OK"]
    assert answer["entry"][1]["response"]["outcome"]["issue"][0]["code"] == "forbidden"
    assert answer["entry"][4]["resource"]["total"] == 0
    assert answer["entry"][6]["resource"]["id"] == "obs-p1-2"
    assert count(stored) == before + 1
    texts = {v.require()["code"].get("text") for v in stored.live("Observation")}
    assert "mine" in texts and "theirs" not in texts
    assert stored.current("Observation", "obs-p2-1").version_id == 1
    forwarded = [e["request"]["method"] + " " + e["request"]["url"]
                 for e in sandbox.posted[0]["entry"]]
    assert forwarded == ["POST Observation", "GET Observation/obs-p1-2"]


async def test_batch_read_of_another_patients_resource_is_a_404_entry(
    proxy: TestClient, p1: Any, sandbox: Any
) -> None:
    document = bundle("batch", entry("GET", "Observation/obs-p2-1"),
                      entry("GET", "Observation/obs-p1-1"))
    response = await post(proxy, p1, document)
    answer = await response.json(content_type=None)
    assert statuses(answer) == ["404 Not Found", "200 OK"]
    assert "resource" not in answer["entry"][0] and "fullUrl" not in answer["entry"][0]
    assert answer["entry"][0]["response"]["outcome"]["issue"][0]["code"] == "not-found"
    assert len(sandbox.posted[0]["entry"]) == 2  # the upstream answered; the post-check hid it


NOT_FOUND_ENTRY = {"response": {"status": "404 Not Found", "outcome": {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "not-found", "diagnostics": "Resource not found."}]}}}


async def test_batch_read_entries_of_absent_and_not_yours_are_identical(
    proxy: TestClient, p1: Any, sandbox: Any, stored: Any
) -> None:
    stored.delete("Observation", "obs-p1-3")  # deleted: the upstream answers 410
    document = bundle(
        "batch",
        entry("GET", "Observation/obs-p2-1"),
        entry("GET", "Observation/zz-absent"),
        entry("GET", "Observation/obs-p1-3"),
        conditional_get("Observation/obs-p2-1", ifNoneMatch='W/"1"'),
        conditional_get("Observation/zz-absent", ifNoneMatch='W/"1"'),
        conditional_get("Observation/obs-p2-1", ifModifiedSince="2030-01-01T00:00:00Z"),
    )
    answer = await (await post(proxy, p1, document)).json(content_type=None)
    assert answer["entry"] == [NOT_FOUND_ENTRY] * 6
    sent = [e["request"] for e in sandbox.posted[0]["entry"]]
    assert all(set(request) == {"method", "url"} for request in sent)  # conditions dropped


async def test_batch_own_read_with_if_none_match_is_answered_in_full(
    proxy: TestClient, p1: Any
) -> None:
    document = bundle("batch", conditional_get("Observation/obs-p1-1", ifNoneMatch='W/"1"'))
    answer = await (await post(proxy, p1, document)).json(content_type=None)
    assert answer["entry"][0]["response"]["status"].startswith("200")
    assert answer["entry"][0]["resource"]["id"] == "obs-p1-1"


async def test_batch_write_entries_of_absent_and_not_yours_are_identical(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    patch = [{"op": "replace", "path": "/status", "value": "amended"}]
    binary = {"resourceType": "Binary", "contentType": "application/json-patch+json",
              "data": base64.b64encode(orjson.dumps(patch)).decode()}
    document = bundle(
        "batch",
        entry("PUT", "Observation/obs-p2-1", observation("p1", id="obs-p2-1")),
        entry("PUT", "Observation/zz-absent", observation("p1", id="zz-absent")),
        entry("DELETE", "Observation/obs-p2-1"),
        entry("DELETE", "Observation/zz-absent"),
        entry("PATCH", "Observation/zz-absent", binary),
        entry("DELETE", "Observation?identifier=urn:example:ids|nothing"),
        entry("GET", "Observation/obs-p1-1"),
    )
    answer = await (await post(proxy, p1, document)).json(content_type=None)
    assert answer["entry"][:6] == [NOT_FOUND_ENTRY] * 6
    assert stored.current("Observation", "zz-absent") is None
    assert stored.current("Observation", "obs-p2-1").version_id == 1
    assert [e["request"]["method"] for e in sandbox.posted[0]["entry"]] == ["GET"]


async def test_transaction_reads_of_absent_and_not_yours_are_refused_alike(
    proxy: TestClient, p1: Any, sandbox: Any
) -> None:
    """A read inside a transaction is checked before the transaction is sent: an absent
    record and another patient's refuse it with the same bytes, and nothing goes upstream."""
    answers = []
    for target in ("Observation/zz-absent", "Observation/obs-p2-1"):
        document = bundle("transaction", entry("POST", "Observation", observation("p1")),
                          entry("GET", target))
        response = await proxy.post("/fhir", data=orjson.dumps(document), headers={
            **p1, "Content-Type": FHIR_JSON, "X-Request-Id": "same-id-3"})
        answers.append((response.status, await response.read()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404 and b"entry 1: Resource not found." in answers[0][1]
    assert sandbox.posted == []
    mine = bundle("transaction", entry("GET", "Observation/obs-p1-1"))
    own = await proxy.post("/fhir", data=orjson.dumps(mine),
                           headers={**p1, "Content-Type": FHIR_JSON})
    assert own.status == 200
    assert (await own.json(content_type=None))["entry"][0]["resource"]["id"] == "obs-p1-1"


async def test_user_grant_batch_keeps_read_conditions(
    proxy: TestClient, issue_token: Any, sandbox: Any
) -> None:
    token = await issue_token(scopes=("user/*.cruds",), patient=None, fhir_user="Practitioner/prac-1")
    document = bundle("batch", conditional_get("Observation/obs-p2-1", ifNoneMatch='W/"1"'))
    answer = await (await post(proxy, {"Authorization": f"Bearer {token}"}, document)).json(
        content_type=None)
    assert answer["entry"][0]["response"]["status"].startswith("304")
    assert sandbox.posted[0]["entry"][0]["request"]["ifNoneMatch"] == 'W/"1"'


async def test_batch_search_entries_are_filtered_and_paged_by_cursor(
    proxy: TestClient, p1: Any, stored: Any
) -> None:
    stored.put(observation("p1", id="also-p2", performer=[{"reference": "Patient/p2"}]))
    document = bundle("batch", entry("GET", "Observation?_count=500"),
                      entry("GET", "Observation?_count=2"))
    answer = await (await post(proxy, p1, document)).json(content_type=None)
    everything, page = (e["resource"] for e in answer["entry"])
    ids = {e["resource"]["id"] for e in everything["entry"]}
    assert "obs-p1-1" in ids and "also-p2" not in ids
    assert all(e["resource"]["subject"]["reference"] == "Patient/p1" for e in everything["entry"])
    links = {link["relation"]: link["url"] for link in page["link"]}
    assert links and all(url.startswith("https://proxy.example.org/fhir/_page?cursor=")
                         for url in links.values())


async def test_batch_with_every_entry_refused_makes_no_upstream_call(
    proxy: TestClient, p1: Any, sandbox: Any
) -> None:
    document = bundle("batch", entry("POST", "Patient", {"resourceType": "Patient"}),
                      entry("GET", "Observation?patient=p2"))
    answer = await (await post(proxy, p1, document)).json(content_type=None)
    assert statuses(answer) == ["403 Forbidden", "200 OK"]
    assert sandbox.posted == []


@pytest.mark.parametrize("kind", ["batch", "transaction"])
async def test_entry_cap(proxy: TestClient, p1: Any, sandbox: Any, kind: str) -> None:
    document = bundle(kind, *[entry("GET", f"Observation/obs-p1-{i}") for i in range(101)])
    why = await outcome(await post(proxy, p1, document), 400, "invalid")
    assert "at most 100 entries" in why
    assert sandbox.posted == []
    allowed = bundle(kind, *[entry("GET", "Observation/obs-p1-1") for _ in range(100)])
    assert (await post(proxy, p1, allowed)).status == 200


@pytest.mark.parametrize("body", [b"", b"{", orjson.dumps({"resourceType": "Bundle",
                                                             "type": "collection"})])
async def test_only_batch_and_transaction_bundles_are_posted_to_the_base(
    proxy: TestClient, p1: Any, sandbox: Any, body: bytes
) -> None:
    response = await proxy.post("/fhir", data=body, headers={**p1, "Content-Type": FHIR_JSON})
    await outcome(response, 400, "invalid")
    assert sandbox.posted == []


async def test_user_grant_batch_writes_without_body_rule(
    proxy: TestClient, issue_token: Any, stored: Any
) -> None:
    token = await issue_token(scopes=("user/*.cruds",), patient=None, fhir_user="Practitioner/prac-1")
    document = bundle("batch", entry("PUT", "Observation/obs-p2-1", observation("p3", id="obs-p2-1")),
                      entry("GET", "Observation/obs-p2-2"))
    response = await post(proxy, {"Authorization": f"Bearer {token}"}, document)
    answer = await response.json(content_type=None)
    assert statuses(answer) == ["200 OK", "200 OK"]
    assert stored.current("Observation", "obs-p2-1").require()["subject"]["reference"] == "Patient/p3"
