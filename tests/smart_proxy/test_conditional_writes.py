"""Conditional update, delete and create through the real proxy to the sandbox FHIR server.

The criteria are search parameters only (a result parameter would empty the proxy's match
search while the server's own evaluation finds a record nobody checked); one match is
written at its instance, pinned; no match and a match that is not the grant's read alike.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from smart_proxy.consent import ConsentRecord, ConsentStore
from smart_proxy.state import MemoryStore

FHIR_JSON = "application/fhir+json"
IDENT = "urn:example:ids"
PSY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}
SAME_ID = {"X-Request-Id": "same-request-id-2"}
RESULT_TRICKS = ["_count=0", "_summary=count", "_elements=id", "_sort=-date",
                 "_include=Observation:patient", "_revinclude=Provenance:target",
                 "_total=accurate", "_format=json", "_pretty=true"]


@pytest.fixture
async def p1(issue_token: Any) -> dict[str, str]:
    token = await issue_token(scopes=("patient/*.cruds",), patient="p1")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def withholding(store: MemoryStore, issue_token: Any) -> dict[str, str]:
    """p1's grant under a consent that withholds sensitive (PSY) records."""
    await ConsentStore(store).save(ConsentRecord(
        "c1", "p1", "demo-patient-app", ("patient/*.cruds",), time.time() - 5,
        withheld_labels=(f"{PSY['system']}|PSY",)))
    token = await issue_token(scopes=("patient/*.cruds",), patient="p1", consent_id="c1")
    return {"Authorization": f"Bearer {token}"}


def observation(subject: str = "p1", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": f"Patient/{subject}"}, **extra}


def tagged(value: str, **extra: Any) -> dict[str, Any]:
    return observation(identifier=[{"system": IDENT, "value": value}], **extra)


def alive(stored: Any, resource_id: str) -> bool:
    current = stored.current("Observation", resource_id)
    return current is not None and not current.deleted


async def refused(response: Any, status: int, code: str) -> str:
    assert response.status == status
    body = await response.json(content_type=FHIR_JSON)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == code
    return str(body["issue"][0]["diagnostics"])


# --- result parameters in the criteria: 400 before any call ----------------------------------


@pytest.mark.parametrize("trick", RESULT_TRICKS)
async def test_conditional_delete_with_a_result_parameter_is_400(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any, trick: str
) -> None:
    # In the compartment by search (subject p1), yet it also names p2: not p1's to delete.
    stored.put(tagged("m", id="mixed", performer=[{"reference": "Patient/p2"}]))
    response = await proxy.delete(f"/fhir/Observation?identifier={IDENT}|m&{trick}", headers=p1)
    why = await refused(response, 400, "invalid")
    assert why.startswith("conditional criteria take search parameters only; "
                          f"{trick.split('=')[0]} shapes a search answer")
    assert alive(stored, "mixed")
    assert sandbox.seen == []


@pytest.mark.parametrize("trick", ["_count=0", "_summary=count", "_elements=id"])
async def test_conditional_update_with_a_result_parameter_is_400(
    proxy: TestClient, withholding: Any, stored: Any, sandbox: Any, trick: str
) -> None:
    stored.put(tagged("s", id="sensitive", meta={"security": [PSY]}))
    body = tagged("s", status="entered-in-error")
    response = await proxy.put(f"/fhir/Observation?identifier={IDENT}|s&{trick}", json=body,
                               headers=withholding)
    await refused(response, 400, "invalid")
    assert stored.current("Observation", "sensitive").require()["status"] == "final"
    assert sandbox.seen == []


async def test_conditional_delete_under_a_withholding_consent_is_refused_and_kept(
    proxy: TestClient, withholding: Any, stored: Any, sandbox: Any
) -> None:
    stored.put(tagged("s", id="sensitive", meta={"security": [PSY]}))
    response = await proxy.delete(f"/fhir/Observation?identifier={IDENT}|s", headers=withholding)
    await refused(response, 400, "invalid")
    assert alive(stored, "sensitive")
    assert sandbox.seen == []  # refused before any search: whether it matches stays unknown


async def test_granular_conditional_update_with_count_zero_is_400(
    proxy: TestClient, issue_token: Any, stored: Any, sandbox: Any
) -> None:
    category = "http://terminology.hl7.org/CodeSystem/observation-category"
    token = await issue_token(
        scopes=(f"patient/Observation.rus?category={category}|vital-signs",), patient="p1")
    stored.put(tagged("L", id="labobs", category=[
        {"coding": [{"system": category, "code": "laboratory"}]}]))
    body = tagged("L", status="cancelled", category=[
        {"coding": [{"system": category, "code": "vital-signs"}]}])
    response = await proxy.put(f"/fhir/Observation?identifier={IDENT}|L&_count=0", json=body,
                               headers={"Authorization": f"Bearer {token}"})
    await refused(response, 400, "invalid")
    assert stored.current("Observation", "labobs").require()["status"] == "final"
    assert sandbox.seen == []


async def test_if_none_exist_with_a_result_parameter_is_400(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    before = len(stored.live("Observation"))
    response = await proxy.post("/fhir/Observation", json=tagged("n"), headers={
        **p1, "If-None-Exist": f"identifier={IDENT}|n&_summary=count"})
    why = await refused(response, 400, "invalid")
    assert why.startswith("If-None-Exist: conditional criteria take search parameters only")
    assert len(stored.live("Observation")) == before
    assert sandbox.seen == []


async def test_batch_conditional_delete_with_a_result_parameter_is_a_400_entry(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    stored.put(tagged("m", id="mixed", performer=[{"reference": "Patient/p2"}]))
    document = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "DELETE", "url": f"Observation?identifier={IDENT}|m&_count=0"}}]}
    response = await proxy.post("/fhir", data=orjson.dumps(document),
                                headers={**p1, "Content-Type": FHIR_JSON})
    answer = await response.json(content_type=None)
    assert answer["entry"][0]["response"]["status"] == "400 Bad Request"
    assert alive(stored, "mixed")
    assert sandbox.posted == []


# --- one match: written at its instance; none: like a match that is not the grant's ---------


async def test_conditional_delete_without_a_match_reads_like_not_yours(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    stored.put(tagged("m", id="mixed", performer=[{"reference": "Patient/p2"}]))
    theirs = await proxy.delete(f"/fhir/Observation?identifier={IDENT}|m",
                                headers={**p1, **SAME_ID})
    nothing = await proxy.delete(f"/fhir/Observation?identifier={IDENT}|none",
                                 headers={**p1, **SAME_ID})
    assert theirs.status == nothing.status == 404
    assert await theirs.read() == await nothing.read()
    assert alive(stored, "mixed")
    assert [m for m, _, _ in sandbox.seen if m != "GET"] == []


async def test_conditional_update_without_match_and_an_absent_body_id_is_404(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    absent = await proxy.put(f"/fhir/Observation?identifier={IDENT}|none",
                             json=tagged("none", id="zz-absent"), headers={**p1, **SAME_ID})
    theirs = await proxy.put(f"/fhir/Observation?identifier={IDENT}|none",
                             json=tagged("none", id="obs-p2-1"), headers={**p1, **SAME_ID})
    assert absent.status == theirs.status == 404
    assert await absent.read() == await theirs.read()
    assert stored.current("Observation", "zz-absent") is None
    assert [m for m, _, _ in sandbox.seen if m != "GET"] == []


async def test_conditional_update_without_match_and_an_own_body_id_goes_to_it(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    body = tagged("none", id="obs-p1-2", status="amended")
    response = await proxy.put(f"/fhir/Observation?identifier={IDENT}|none", json=body,
                               headers=p1)
    assert response.status == 200
    assert stored.current("Observation", "obs-p1-2").require()["status"] == "amended"
    method, path, headers = sandbox.seen[-1]
    assert (method, path, headers["If-Match"]) == ("PUT", "/fhir/Observation/obs-p1-2", 'W/"1"')


async def test_batch_conditional_writes_go_to_the_instance_checked(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    stored.put(tagged("u", id="to-update"))
    stored.put(tagged("d", id="to-delete"))
    document = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "PUT", "url": f"Observation?identifier={IDENT}|u"},
         "resource": tagged("u", status="amended")},
        {"request": {"method": "DELETE", "url": f"Observation?identifier={IDENT}|d"}}]}
    response = await proxy.post("/fhir", data=orjson.dumps(document),
                                headers={**p1, "Content-Type": FHIR_JSON})
    answer = await response.json(content_type=None)
    assert [e["response"]["status"][:3] for e in answer["entry"]] == ["200", "204"]
    sent = sandbox.posted[0]["entry"]
    assert sent[0]["request"] == {"method": "PUT", "url": "Observation/to-update",
                                  "ifMatch": 'W/"1"'}
    assert sent[0]["resource"]["id"] == "to-update"
    assert sent[1]["request"] == {"method": "DELETE", "url": "Observation/to-delete",
                                  "ifMatch": 'W/"1"'}
    assert stored.current("Observation", "to-update").require()["status"] == "amended"
    assert not alive(stored, "to-delete")


async def test_conditional_update_without_any_match_is_sent_as_a_create(
    proxy: TestClient, p1: Any, stored: Any, sandbox: Any
) -> None:
    """No match and no id: the create a conditional update would do, sent as POST, so a
    record that starts matching meanwhile can never be overwritten unchecked."""
    before = set(of_ids(stored))
    response = await proxy.put(f"/fhir/Observation?identifier={IDENT}|fresh",
                               json=tagged("fresh"), headers=p1)
    assert response.status == 201
    method, path, _ = sandbox.seen[-1]
    assert (method, path) == ("POST", "/fhir/Observation")
    created = set(of_ids(stored)) - before
    assert len(created) == 1


def of_ids(stored: Any) -> list[str]:
    return [version.id for version in stored.live("Observation")]
