"""Writes through the real proxy to the sandbox FHIR server: body rule, stored read, pinning.

Every case checks the status and the stored data on the sandbox itself (read from its store,
not through the proxy), so "refused" also means "nothing written".
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from smart_proxy.sandbox import SandboxStore
from smart_proxy.state import MemoryStore
from tests.support import UPSTREAM_SECRET

PATIENT_GRANT = {"scopes": ("patient/*.cruds",), "patient": "p1"}
JSON_PATCH = "application/json-patch+json"
FHIR_JSON = "application/fhir+json"
IDENT = "urn:example:ids"


@pytest.fixture
async def p1(issue_token: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {await issue_token(**PATIENT_GRANT)}"}


def observation(subject: str = "p1", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": f"Patient/{subject}"}, **extra}


def of(stored: SandboxStore, resource_type: str = "Observation") -> dict[str, dict[str, Any]]:
    return {v.id: v.require() for v in stored.live(resource_type)}


def writes_seen(sandbox: TestServer) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in sandbox.seen if m != "GET"]  # type: ignore[attr-defined]


def seed(stored: SandboxStore, resource_id: str, subject: str, identifier: str) -> None:
    stored.put(observation(subject, id=resource_id,
                           identifier=[{"system": IDENT, "value": identifier}]))


async def refusal(response: Any, status: int, code: str) -> str:
    assert response.status == status
    body = await response.json(content_type=FHIR_JSON)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code
    return str(body["issue"][0]["diagnostics"])


# --- create: the body rule ---------------------------------------------------------------


async def test_create_own_observation_is_written(proxy: TestClient, p1: Any, stored: Any) -> None:
    response = await proxy.post("/fhir/Observation", json=observation(), headers=p1)
    assert response.status == 201
    created = await response.json(content_type=None)
    assert of(stored)[created["id"]]["subject"] == {"reference": "Patient/p1"}
    assert response.headers["Location"].startswith("https://proxy.example.org/fhir/Observation/")


OTHER = "other than the patient in context"
OUTSIDE = "not in the compartment"
INJECTED = [
    ("subject", observation("p2"), 403, OTHER),
    ("prefix", observation("p10"), 403, OTHER),
    ("absolute", observation(subject="p1", focus=[
        {"reference": "https://elsewhere.example/fhir/Patient/p2"}]), 403, OTHER),
    ("performer", observation(performer=[{"reference": "Patient/p2"}]), 403, OTHER),
    ("extension", observation(extension=[{"url": "http://example.org/x",
                                          "valueReference": {"reference": "Patient/p2"}}]),
     403, OTHER),
    ("contained", observation(
        contained=[{"resourceType": "Observation", "id": "c1", "status": "final",
                    "code": {"text": "x"}, "subject": {"reference": "Patient/p2"}}],
        hasMember=[{"reference": "#c1"}]), 403, OTHER),
    ("no-patient", {**observation(), "subject": {"reference": "Group/g1"}}, 403, OUTSIDE),
    ("identifier-only", observation(performer=[
        {"type": "Patient", "identifier": {"system": "urn:mrn", "value": "123"}}]), 400,
     "logical Patient reference"),
    ("untyped-logical-subject", {**observation(), "subject": {
        "identifier": {"system": "urn:mrn", "value": "MRN-OF-P2"}, "display": "Theo Lindqvist"},
        "performer": [{"reference": "Patient/p1"}]}, 400,
     "A reference cannot be interpreted: subject is a logical reference"),
    ("untyped-display-only", observation(performer=[{"display": "Theo Lindqvist"}]), 400,
     "performer[0] is a logical reference"),
    ("embedded-patient", observation(
        contained=[{"resourceType": "Patient", "id": "pp", "name": [{"family": "X"}]}],
        performer=[{"reference": "#pp"}]), 400, "embeds a Patient"),
    ("dangling", observation(performer=[{"reference": "#nowhere"}]), 400,
     "'#nowhere' names no contained resource"),
    ("urn-uuid", observation(
        performer=[{"reference": "urn:uuid:2b7a8c4e-5a43-4b1f-9d1c-0c7e3a1f9b10"}]), 400,
     "only meaningful inside a transaction"),
]


@pytest.mark.parametrize(("case", "body", "status", "why"), INJECTED, ids=[c[0] for c in INJECTED])
async def test_create_referencing_another_patient_is_refused_and_not_written(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any, case: str, body: Any, status: int,
    why: str,
) -> None:
    before = of(stored)
    response = await proxy.post("/fhir/Observation", json=body, headers=p1)
    assert why in await refusal(response, status, "forbidden" if status == 403 else "invalid")
    assert of(stored) == before
    assert writes_seen(sandbox) == []


async def test_create_patient_is_refused(proxy: TestClient, p1: Any, stored: Any) -> None:
    response = await proxy.post("/fhir/Patient", json={"resourceType": "Patient"}, headers=p1)
    await refusal(response, 403, "forbidden")
    assert len(of(stored, "Patient")) == 8


async def test_create_answered_without_a_body_is_relayed(
    proxy: TestClient, p1: Any, stored: Any
) -> None:
    response = await proxy.post("/fhir/Observation", json=observation(),
                                headers={**p1, "Prefer": "return=minimal"})
    assert response.status == 201 and await response.read() == b""
    created = response.headers["Location"].split("/")[-3]
    assert of(stored)[created]["subject"] == {"reference": "Patient/p1"}


@pytest.mark.parametrize(("body", "content_type"), [
    (orjson.dumps({"resourceType": "Condition", "subject": {"reference": "Patient/p1"}}), FHIR_JSON),
    (b"{not json", FHIR_JSON),
    (orjson.dumps(observation()), "application/fhir+xml"),
    (b"", FHIR_JSON),
])
async def test_create_body_must_be_json_of_the_url_type(
    proxy: TestClient, p1: Any, sandbox: Any, body: bytes, content_type: str,
) -> None:
    headers = {**p1, "Content-Type": content_type}
    await refusal(await proxy.post("/fhir/Observation", data=body, headers=headers), 400, "invalid")
    assert writes_seen(sandbox) == []


async def test_the_checked_json_is_what_goes_upstream(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    # Duplicate keys: a parser that keeps the first would see p2; the upstream gets only
    # the JSON that was checked, serialised again.
    text = b'{"resourceType":"Observation","status":"final","code":{"text":"x"},' \
           b'"subject":{"reference":"Patient/p2"},"subject":{"reference":"Patient/p1"}}'
    response = await proxy.post("/fhir/Observation", data=text,
                                headers={**p1, "Content-Type": FHIR_JSON})
    assert response.status == 201
    assert b"Patient/p2" not in sandbox.bodies[-1]
    assert sandbox.seen[-1][2]["Content-Type"] == FHIR_JSON
    created = of(stored)[(await response.json(content_type=None))["id"]]
    assert created["subject"] == {"reference": "Patient/p1"}


# --- update: body rule, then the stored version ---------------------------------------------


async def test_update_moving_own_resource_to_another_patient_is_403(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    body = observation("p2", id="obs-p1-2")
    response = await proxy.put("/fhir/Observation/obs-p1-2", json=body, headers=p1)
    assert OTHER in await refusal(response, 403, "forbidden")
    current = stored.current("Observation", "obs-p1-2")
    assert current.version_id == 1 and current.require()["subject"]["reference"] == "Patient/p1"
    assert sandbox.seen == []


async def test_update_of_another_patients_resource_is_404_and_unchanged(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    body = observation("p1", id="obs-p2-1")
    response = await proxy.put("/fhir/Observation/obs-p2-1", json=body, headers=p1)
    assert await refusal(response, 404, "not-found") == "Resource not found."
    current = stored.current("Observation", "obs-p2-1")
    assert current.version_id == 1 and current.require()["subject"]["reference"] == "Patient/p2"
    assert writes_seen(sandbox) == []


async def test_update_of_own_resource_is_pinned_to_the_checked_version(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    body = observation("p1", id="obs-p1-2", status="amended")
    response = await proxy.put("/fhir/Observation/obs-p1-2", json=body, headers=p1)
    assert response.status == 200
    assert stored.current("Observation", "obs-p1-2").require()["status"] == "amended"
    (read_method, read_path, read_headers), (method, _, headers) = sandbox.seen
    assert (read_method, read_path) == ("GET", "/fhir/Observation/obs-p1-2")
    assert read_headers["Authorization"] == f"Bearer {UPSTREAM_SECRET}"  # never the app's token
    assert method == "PUT" and headers["If-Match"] == 'W/"1"'


async def test_update_with_a_stale_if_match_is_412_without_a_write(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    stored.put(observation("p1", id="obs-p1-2", status="amended"))  # now version 2
    body = observation("p1", id="obs-p1-2", status="cancelled")
    response = await proxy.put("/fhir/Observation/obs-p1-2", json=body,
                               headers={**p1, "If-Match": 'W/"1"'})
    await refusal(response, 412, "conflict")
    assert stored.current("Observation", "obs-p1-2").require()["status"] == "amended"
    assert writes_seen(sandbox) == []
    same = await proxy.put("/fhir/Observation/obs-p1-2", json=body, headers={**p1, "If-Match": 'W/"2"'})
    assert same.status == 200


async def test_update_body_id_must_equal_url_id(proxy: TestClient, p1: Any, sandbox: Any) -> None:
    body = observation("p1", id="obs-p1-3")
    response = await proxy.put("/fhir/Observation/obs-p1-2", json=body, headers=p1)
    await refusal(response, 400, "invalid")
    assert sandbox.seen == []


async def test_logical_reference_with_a_non_patient_type_is_written(
    proxy: TestClient, p1: Any, stored: Any
) -> None:
    body = observation(performer=[{"type": "Organization",
                                   "identifier": {"system": "urn:lab", "value": "lab-1"}}])
    response = await proxy.post("/fhir/Observation", json=body, headers=p1)
    assert response.status == 201
    created = of(stored)[(await response.json(content_type=None))["id"]]
    assert created["performer"] == body["performer"]


SAME_ID = {"X-Request-Id": "same-request-id-1"}


@pytest.mark.parametrize(("subject", "status"), [("p1", 404), ("p2", 403)])
async def test_update_as_create_is_refused_under_a_patient_grant(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any, subject: str, status: int
) -> None:
    """An absent id answers exactly like another patient's: no existence oracle."""
    body = observation(subject, id="brand-new")
    response = await proxy.put("/fhir/Observation/brand-new", json=body, headers={**p1, **SAME_ID})
    assert response.status == status
    assert "brand-new" not in of(stored)
    assert writes_seen(sandbox) == []
    if status == 404:
        theirs = await proxy.put("/fhir/Observation/obs-p2-1", json=observation("p1", id="obs-p2-1"),
                                 headers={**p1, **SAME_ID})
        assert theirs.status == 404
        assert await response.read() == await theirs.read()


async def test_update_cannot_take_over_another_patients_deleted_id(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    stored.delete("Observation", "obs-p2-1")  # the upstream now answers 410 Gone
    response = await proxy.put("/fhir/Observation/obs-p2-1", json=observation("p1", id="obs-p2-1"),
                               headers={**p1, **SAME_ID})
    absent = await proxy.put("/fhir/Observation/zz-absent", json=observation("p1", id="zz-absent"),
                             headers={**p1, **SAME_ID})
    assert response.status == absent.status == 404
    assert await response.read() == await absent.read()
    assert stored.current("Observation", "obs-p2-1").deleted
    assert stored.current("Observation", "zz-absent") is None
    assert writes_seen(sandbox) == []


async def test_user_grant_keeps_update_as_create(
    proxy: TestClient, issue_token: Any, stored: Any
) -> None:
    token = await issue_token(scopes=("user/*.cruds",), patient=None, fhir_user="Practitioner/prac-1")
    response = await proxy.put("/fhir/Observation/brand-new", json=observation("p3", id="brand-new"),
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201
    assert of(stored)["brand-new"]["subject"]["reference"] == "Patient/p3"


# --- patch: applied to the stored version, the result checked -------------------------------


async def send_patch(proxy: TestClient, url: str, auth: dict[str, str], *operations: Any) -> Any:
    return await proxy.patch(url, data=orjson.dumps(list(operations)),
                             headers={**auth, "Content-Type": JSON_PATCH})


async def test_patch_applied_when_allowed(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    response = await send_patch(proxy, "/fhir/Observation/obs-p1-2", p1,
                                {"op": "replace", "path": "/status", "value": "amended"},
                                {"op": "add", "path": "/note", "value": [{"text": "checked"}]})
    assert response.status == 200
    after = stored.current("Observation", "obs-p1-2")
    assert after.version_id == 2
    assert after.require()["status"] == "amended" and after.require()["note"] == [{"text": "checked"}]
    method, _, headers = sandbox.seen[-1]
    assert method == "PATCH" and headers["If-Match"] == 'W/"1"'


@pytest.mark.parametrize(("operation", "why"), [
    ({"op": "replace", "path": "/subject/reference", "value": "Patient/p2"}, OTHER),
    ({"op": "add", "path": "/performer", "value": [{"reference": "Patient/p2"}]}, OTHER),
    ({"op": "remove", "path": "/subject"}, OUTSIDE),
])
async def test_patch_whose_result_leaves_the_patient_is_403(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any, operation: dict[str, Any], why: str
) -> None:
    response = await send_patch(proxy, "/fhir/Observation/obs-p1-2", p1, operation)
    assert why in await refusal(response, 403, "forbidden")
    assert stored.current("Observation", "obs-p1-2").version_id == 1
    assert writes_seen(sandbox) == []


async def test_patch_of_another_patients_resource_is_404(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    response = await send_patch(proxy, "/fhir/Observation/obs-p2-1", p1,
                                {"op": "replace", "path": "/status", "value": "cancelled"})
    await refusal(response, 404, "not-found")
    assert stored.current("Observation", "obs-p2-1").version_id == 1
    assert writes_seen(sandbox) == []


@pytest.mark.parametrize(("operation", "status", "code"), [
    ({"op": "test", "path": "/status", "value": "preliminary"}, 422, "processing"),
    ({"op": "remove", "path": "/nothing/here"}, 400, "invalid"),
    ({"op": "replace", "path": "/id", "value": "obs-p1-3"}, 400, "invalid"),
])
async def test_patch_that_does_not_apply(
    proxy: TestClient, p1: Any, sandbox: Any, operation: Any, status: int, code: str
) -> None:
    response = await send_patch(proxy, "/fhir/Observation/obs-p1-2", p1, operation)
    await refusal(response, status, code)
    assert writes_seen(sandbox) == []


@pytest.mark.parametrize(("path", "why"), [
    ("/performer/\u0661", "is not an array index"),  # ARABIC-INDIC DIGIT ONE: not index 1
    ("/performer/\u00b2", "is not an array index"),  # SUPERSCRIPT TWO: was a 500
    ("/performer/01", "is not an array index"),
    ("/performer/+0", "is not an array index"),
    ("/performer/0\n", "is not an array index"),
    ("/sub~2ject", "escape other than ~0 or ~1"),
    ("/subject~", "escape other than ~0 or ~1"),
])
async def test_patch_with_a_malformed_pointer_is_400(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any, path: str, why: str
) -> None:
    stored.put(observation("p1", id="obs-p1-2", performer=[{"reference": "Patient/p1"},
                                                           {"reference": "Practitioner/prac-1"}]))
    response = await send_patch(proxy, "/fhir/Observation/obs-p1-2", p1,
                                {"op": "replace", "path": path, "value": {"display": "x"}})
    assert why in await refusal(response, 400, "invalid")
    assert stored.current("Observation", "obs-p1-2").version_id == 2
    assert writes_seen(sandbox) == []


async def test_patch_of_an_absent_resource_is_404(proxy: TestClient, p1: Any) -> None:
    response = await send_patch(proxy, "/fhir/Observation/nope", p1,
                                {"op": "replace", "path": "/status", "value": "amended"})
    await refusal(response, 404, "not-found")


async def test_conditional_patch_goes_to_the_instance_checked(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    seed(stored, "mine", "p1", "shared")
    seed(stored, "theirs", "p2", "shared")
    response = await send_patch(proxy, f"/fhir/Observation?identifier={IDENT}|shared", p1,
                                {"op": "replace", "path": "/status", "value": "amended"})
    assert response.status == 200
    assert stored.current("Observation", "mine").require()["status"] == "amended"
    assert stored.current("Observation", "theirs").version_id == 1
    assert writes_seen(sandbox) == [("PATCH", "/fhir/Observation/mine")]


# --- delete --------------------------------------------------------------------------------


async def test_delete_of_another_patients_resource_is_404_and_kept(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    await refusal(await proxy.delete("/fhir/Observation/obs-p2-1", headers=p1), 404, "not-found")
    assert "obs-p2-1" in of(stored)
    assert writes_seen(sandbox) == []


async def test_delete_own_resource(proxy: TestClient, p1: Any, stored: Any, sandbox: Any) -> None:
    response = await proxy.delete("/fhir/Observation/obs-p1-2", headers=p1)
    assert response.status == 204
    assert "obs-p1-2" not in of(stored)
    assert sandbox.seen[-1][2]["If-Match"] == 'W/"1"'


async def test_delete_of_an_absent_resource_is_404(proxy: TestClient, p1: Any, sandbox: Any) -> None:
    await refusal(await proxy.delete("/fhir/Observation/nope", headers=p1), 404, "not-found")
    assert writes_seen(sandbox) == []


async def test_stored_version_with_a_withheld_label_is_404(
    proxy: TestClient, issue_token: Any, store: MemoryStore, stored: Any
) -> None:
    from smart_proxy.consent import ConsentRecord, ConsentStore
    await ConsentStore(store).save(ConsentRecord(
        "c1", "p1", "demo-patient-app", ("patient/*.cruds",), 0.0,
        withheld_labels=("http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY",)))
    labelled = observation("p1", id="sensitive", meta={"security": [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}]})
    stored.put(labelled)
    token = await issue_token(**PATIENT_GRANT, consent_id="c1")
    response = await proxy.delete("/fhir/Observation/sensitive",
                                  headers={"Authorization": f"Bearer {token}"})
    await refusal(response, 404, "not-found")
    assert "sensitive" in of(stored)


# --- conditional writes: narrowed criteria are the stored read -------------------------------


async def test_conditional_update_touches_only_the_patients_match(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    seed(stored, "mine", "p1", "shared")
    seed(stored, "theirs", "p2", "shared")
    body = observation("p1", status="amended", identifier=[{"system": IDENT, "value": "shared"}])
    response = await proxy.put(f"/fhir/Observation?identifier={IDENT}|shared", json=body, headers=p1)
    assert response.status == 200
    assert stored.current("Observation", "mine").require()["status"] == "amended"
    assert stored.current("Observation", "theirs").version_id == 1
    method, path, headers = sandbox.seen[-1]
    assert (method, path, headers["If-Match"]) == ("PUT", "/fhir/Observation/mine", 'W/"1"')
    assert orjson.loads(sandbox.bodies[-1])["id"] == "mine"


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_conditional_criteria_naming_another_patient_are_404(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any, method: str
) -> None:
    seed(stored, "theirs", "p2", "shared")
    url = f"/fhir/Observation?identifier={IDENT}|shared&patient=p2"
    body = observation("p1") if method == "PUT" else None  # a DELETE carries no body
    response = await proxy.request(method, url, json=body, headers=p1)
    await refusal(response, 404, "not-found")
    assert stored.current("Observation", "theirs").version_id == 1
    assert sandbox.seen == []


async def test_conditional_update_without_match_creates_under_the_body_rule(
    proxy: TestClient, p1: Any, stored: Any
) -> None:
    url = f"/fhir/Observation?identifier={IDENT}|fresh"
    refused = await proxy.put(url, json=observation("p2"), headers=p1)
    await refusal(refused, 403, "forbidden")
    created = await proxy.put(url, json=observation("p1"), headers=p1)
    assert created.status == 201
    assert of(stored)[(await created.json(content_type=None))["id"]]["subject"]["reference"] == "Patient/p1"


async def test_conditional_update_without_match_cannot_overwrite_by_body_id(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    body = observation("p1", id="obs-p2-1")
    response = await proxy.put(f"/fhir/Observation?identifier={IDENT}|none", json=body, headers=p1)
    await refusal(response, 404, "not-found")
    assert stored.current("Observation", "obs-p2-1").require()["subject"]["reference"] == "Patient/p2"
    assert writes_seen(sandbox) == []


async def test_conditional_update_with_several_matches_is_412(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    seed(stored, "one", "p1", "twice")
    seed(stored, "two", "p1", "twice")
    response = await proxy.put(f"/fhir/Observation?identifier={IDENT}|twice",
                               json=observation("p1"), headers=p1)
    await refusal(response, 412, "multiple-matches")
    assert writes_seen(sandbox) == []


async def test_conditional_delete_deletes_only_the_patients_match(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    seed(stored, "mine", "p1", "shared")
    seed(stored, "theirs", "p2", "shared")
    response = await proxy.delete(f"/fhir/Observation?identifier={IDENT}|shared", headers=p1)
    assert response.status == 204
    assert "mine" not in of(stored) and "theirs" in of(stored)
    # the write goes to the instance checked, pinned: the server cannot pick another match
    (_, search, _), _, (method, path, headers) = sandbox.seen
    assert search.startswith("/fhir/Observation?") and "patient=Patient/p1" in search
    assert (method, path, headers["If-Match"]) == ("DELETE", "/fhir/Observation/mine", 'W/"1"')


async def test_conditional_delete_of_a_match_failing_the_check_is_404(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    # In the compartment by search (subject p1), yet it also names p2: not p1's to delete.
    stored.put(observation("p1", id="shared-record", performer=[{"reference": "Patient/p2"}],
                           identifier=[{"system": IDENT, "value": "both"}]))
    response = await proxy.delete(f"/fhir/Observation?identifier={IDENT}|both", headers=p1)
    await refusal(response, 404, "not-found")
    assert "shared-record" in of(stored)
    assert writes_seen(sandbox) == []


async def test_if_none_exist_is_narrowed_to_the_patient(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    seed(stored, "theirs", "p2", "taken")
    body = observation("p1", identifier=[{"system": IDENT, "value": "taken"}])
    response = await proxy.post("/fhir/Observation", json=body,
                                headers={**p1, "If-None-Exist": f"identifier={IDENT}|taken"})
    assert response.status == 201  # p2's match is not p1's: created, theirs not disclosed
    created = await response.json(content_type=None)
    assert created["id"] != "theirs" and created["subject"]["reference"] == "Patient/p1"
    assert sandbox.seen[-1][2]["If-None-Exist"] == f"identifier={IDENT}|taken&patient=Patient/p1"
    naming = await proxy.post("/fhir/Observation", json=body,
                              headers={**p1, "If-None-Exist": "identifier=x&patient=p2"})
    await refusal(naming, 404, "not-found")


# --- grants without a patient: no body rule, no stored read -----------------------------------


async def test_user_grant_write_needs_no_stored_read(
    proxy: TestClient, issue_token: Any, stored: Any, sandbox: Any
) -> None:
    token = await issue_token(scopes=("user/*.cruds",), patient=None, fhir_user="Practitioner/prac-1")
    body = observation("p3", id="obs-p2-1")
    response = await proxy.put("/fhir/Observation/obs-p2-1", json=body,
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    assert stored.current("Observation", "obs-p2-1").require()["subject"]["reference"] == "Patient/p3"
    assert [(m, p) for m, p, _ in sandbox.seen] == [("PUT", "/fhir/Observation/obs-p2-1")]
    assert "If-Match" not in sandbox.seen[0][2]


async def test_granular_user_grant_checks_body_and_stored_version(
    proxy: TestClient, issue_token: Any, stored: Any
) -> None:
    lab = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
    token = await issue_token(scopes=(f"user/Observation.cud?category={lab}",), patient=None,
                              fhir_user="Practitioner/prac-1")
    auth = {"Authorization": f"Bearer {token}"}
    vital = observation("p1")  # no laboratory category
    await refusal(await proxy.post("/fhir/Observation", json=vital, headers=auth), 403, "forbidden")
    await refusal(await proxy.delete("/fhir/Observation/obs-p1-2", headers=auth), 404, "not-found")
    assert "obs-p1-2" in of(stored)


async def test_conditional_writes_are_refused_while_records_are_withheld(
    proxy: TestClient, store: MemoryStore, issue_token: Any, stored: Any, sandbox: Any
) -> None:
    """Whether criteria match would tell of withheld records (201 vs 200, 404 vs 201): under
    a consent withholding labels every conditional write is 400, whatever matches."""
    import time

    from smart_proxy.consent import ConsentRecord, ConsentStore

    await ConsentStore(store).save(ConsentRecord(
        "c-p3", "p3", "demo-patient-app", ("patient/*.cruds",), time.time() - 5,
        withheld_labels=("http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY",)))
    withholding = {"Authorization": "Bearer " + await issue_token(
        scopes=("patient/*.cruds",), patient="p3", consent_id="c-p3"), "X-Request-Id": "cond-0001"}
    body = {"resourceType": "Condition", "subject": {"reference": "Patient/p3"},
            "code": {"text": "anything"}}
    psy = "_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY"
    hiv = "_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|HIV"
    before = len(of(stored, "Condition"))
    answers = []
    for criteria in (psy, hiv, "_id=cond-p3-1"):
        created = await proxy.post("/fhir/Condition", json=body,
                                   headers={**withholding, "If-None-Exist": criteria})
        updated = await proxy.put(f"/fhir/Condition?{criteria}", json=body, headers=withholding)
        deleted = await proxy.delete(f"/fhir/Condition?{criteria}", headers=withholding)
        for response in (created, updated, deleted):
            answers.append((response.status, await response.read()))
    assert {status for status, _ in answers} == {400}
    assert len({text for _, text in answers}) == 1
    assert b"withholds sensitive records" in answers[0][1]
    assert len(of(stored, "Condition")) == before
    assert [m for m, _, _ in sandbox.seen if m != "GET"] == []
    sharing = await issue_token(scopes=("patient/*.cruds",), patient="p3")
    matched = await proxy.post("/fhir/Condition", json=body, headers={
        "Authorization": f"Bearer {sharing}", "If-None-Exist": "_id=cond-p3-1"})
    assert matched.status == 200
    assert (await matched.json(content_type=None))["id"] == "cond-p3-1"


async def test_security_labels_cannot_be_removed_by_a_write(
    proxy: TestClient, issue_token: Any, stored: Any
) -> None:
    """A write may add labels, never remove them: else another app the patient withheld the
    record from would read it."""
    token = {"Authorization": "Bearer " + await issue_token(scopes=("patient/*.cruds",),
                                                            patient="p3")}
    removal = await send_patch(proxy, "/fhir/Condition/cond-p3-1", token,
                               {"op": "remove", "path": "/meta/security"})
    assert removal.status == 403
    kept = dict(stored.current("Condition", "cond-p3-1").require())
    assert {c["code"] for c in kept["meta"]["security"]} == {"PSY", "R"}
    unlabelled = {k: v for k, v in kept.items() if k != "meta"}
    replaced = await proxy.put("/fhir/Condition/cond-p3-1", json=unlabelled, headers=token)
    assert replaced.status == 403
    assert stored.current("Condition", "cond-p3-1").version_id == 1
    added = await send_patch(proxy, "/fhir/Condition/cond-p3-1", token, {
        "op": "add", "path": "/meta/security/-",
        "value": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"}})
    assert added.status == 200
    assert {c["code"] for c in stored.current("Condition", "cond-p3-1").require()["meta"][
        "security"]} == {"PSY", "R", "ETH"}


@pytest.mark.parametrize(("scopes", "shown"), [(("patient/Observation.u",), False),
                                               (("patient/Observation.ru",), True)])
async def test_a_patch_answer_shows_the_result_only_to_a_grant_that_reads_it(
    proxy: TestClient, issue_token: Any, stored: Any, scopes: tuple[str, ...], shown: bool
) -> None:
    token = await issue_token(scopes=scopes, patient="p1")
    response = await send_patch(proxy, "/fhir/Observation/obs-p1-2",
                                {"Authorization": f"Bearer {token}"},
                                {"op": "replace", "path": "/status", "value": "amended"})
    assert response.status == 200
    assert stored.current("Observation", "obs-p1-2").require()["status"] == "amended"
    answer = await response.json(content_type=None)
    if shown:
        assert (answer["resourceType"], answer["status"]) == ("Observation", "amended")
    else:
        assert answer["resourceType"] == "OperationOutcome"
        assert answer["issue"][0]["severity"] == "information"
        assert "obs-p1-2" not in await response.text()
