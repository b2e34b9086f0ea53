"""Writes whose attachments name a Binary of this server, through the real proxy.

A patient grant may point an attachment only at a Binary it could read: the Binary exists
upstream and its ``securityContext`` names a resource the grant reads.  Otherwise ``403``
and nothing is written; external URLs and inline ``data`` need nothing.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from smart_proxy.consent import ConsentRecord, ConsentStore
from smart_proxy.state import MemoryStore

FHIR_JSON = "application/fhir+json"
CANNOT_READ = "The attachment names a Binary this grant cannot read."
PSY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}


@pytest.fixture
async def p1(issue_token: Any) -> dict[str, str]:
    token = await issue_token(scopes=("patient/*.cruds",), patient="p1")
    return {"Authorization": f"Bearer {token}"}


def note(url: str | None = None, **attachment: Any) -> dict[str, Any]:
    found = {"contentType": "text/plain", **attachment}
    if url is not None:
        found["url"] = url
    return {"resourceType": "DocumentReference", "status": "current",
            "subject": {"reference": "Patient/p1"}, "content": [{"attachment": found}]}


def writes(sandbox: TestServer) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in sandbox.seen if m != "GET"]  # type: ignore[attr-defined]


async def forbidden(response: Any) -> None:
    assert response.status == 403
    body = await response.json(content_type=FHIR_JSON)
    assert body["issue"][0]["code"] == "forbidden"
    assert body["issue"][0]["diagnostics"] == CANNOT_READ


def other_patients_urls(sandbox: TestServer) -> list[str]:
    return ["Binary/bin-p2-1", "Binary/bin-p2-1/_history/1",
            "https://proxy.example.org/fhir/Binary/bin-p2-1",
            str(sandbox.make_url("/fhir/Binary/bin-p2-1")),
            "https://elsewhere.example/fhir/Binary/bin-p2-1",  # pointers match by type and id
            "Binary/zz-absent", "Binary"]


async def test_create_pointing_at_another_patients_binary_is_403(
    proxy: TestClient, p1: Any, stored: Any, sandbox: TestServer
) -> None:
    before = len(stored.live("DocumentReference"))
    for url in other_patients_urls(sandbox):
        await forbidden(await proxy.post("/fhir/DocumentReference", json=note(url), headers=p1))
    assert len(stored.live("DocumentReference")) == before
    assert writes(sandbox) == []


@pytest.mark.parametrize("resource", [
    {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "x"},
     "subject": {"reference": "Patient/p1"}, "presentedForm": [{"url": "Binary/bin-p2-1"}]},
    {"resourceType": "Media", "status": "completed", "subject": {"reference": "Patient/p1"},
     "content": {"contentType": "text/plain", "url": "Binary/bin-p2-1"}},
    {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
     "subject": {"reference": "Patient/p1"},
     "valueAttachment": {"contentType": "text/plain", "url": "Binary/bin-p2-1"}},
])
async def test_every_attachment_holder_is_checked(
    proxy: TestClient, p1: Any, sandbox: TestServer, resource: dict[str, Any]
) -> None:
    url = f"/fhir/{resource['resourceType']}"
    await forbidden(await proxy.post(url, json=resource, headers=p1))
    assert writes(sandbox) == []


@pytest.mark.parametrize("document", [
    note("Binary/bin-p1-1"),
    note("https://proxy.example.org/fhir/Binary/bin-p1-1/_history/1"),
    note("https://files.example.org/notes/1.txt"),
    note("https://elsewhere.example/fhir/Binary/not-here"),
    note(data=base64.b64encode(b"typed by the patient").decode()),
])
async def test_readable_external_or_inline_attachments_are_written(
    proxy: TestClient, p1: Any, stored: Any, document: dict[str, Any]
) -> None:
    response = await proxy.post("/fhir/DocumentReference", json=document, headers=p1)
    assert response.status == 201
    created = (await response.json(content_type=None))["id"]
    written = stored.current("DocumentReference", created).require()
    assert written["content"] == document["content"]


async def test_update_and_patch_are_checked_on_the_result(
    proxy: TestClient, p1: Any, stored: Any, sandbox: TestServer
) -> None:
    current = stored.current("DocumentReference", "doc-p1-1").require()
    changed = orjson.loads(orjson.dumps(current))
    changed["content"][0]["attachment"]["url"] = "Binary/bin-p2-1"
    await forbidden(await proxy.put("/fhir/DocumentReference/doc-p1-1", json=changed, headers=p1))
    patch = [{"op": "replace", "path": "/content/0/attachment/url", "value": "Binary/bin-p2-1"}]
    await forbidden(await proxy.patch(
        "/fhir/DocumentReference/doc-p1-1", data=orjson.dumps(patch),
        headers={**p1, "Content-Type": "application/json-patch+json"}))
    assert stored.current("DocumentReference", "doc-p1-1").version_id == 1
    assert writes(sandbox) == []


async def test_a_binary_whose_context_is_withheld_cannot_be_named(
    proxy: TestClient, store: MemoryStore, issue_token: Any, stored: Any, sandbox: TestServer
) -> None:
    stored.put({"resourceType": "DocumentReference", "id": "doc-psy", "status": "current",
                "meta": {"security": [PSY]}, "subject": {"reference": "Patient/p1"},
                "content": [{"attachment": {"url": "Binary/bin-psy"}}]})
    stored.put({"resourceType": "Binary", "id": "bin-psy", "contentType": "text/plain",
                "securityContext": {"reference": "DocumentReference/doc-psy"},
                "data": base64.b64encode(b"sensitive").decode()})
    stored.put({"resourceType": "Binary", "id": "bin-labelled", "contentType": "text/plain",
                "meta": {"security": [PSY]}, "securityContext": {"reference": "Patient/p1"},
                "data": base64.b64encode(b"sensitive").decode()})
    stored.put({"resourceType": "Binary", "id": "bin-no-context", "contentType": "text/plain",
                "data": base64.b64encode(b"whose?").decode()})
    await ConsentStore(store).save(ConsentRecord(
        "c1", "p1", "demo-patient-app", ("patient/*.cruds",), time.time() - 5,
        withheld_labels=(f"{PSY['system']}|PSY",)))
    token = await issue_token(scopes=("patient/*.cruds",), patient="p1", consent_id="c1")
    auth = {"Authorization": f"Bearer {token}"}
    for binary in ("bin-psy", "bin-labelled", "bin-no-context"):
        await forbidden(await proxy.post("/fhir/DocumentReference",
                                         json=note(f"Binary/{binary}"), headers=auth))
    assert writes(sandbox) == []


async def test_a_grant_that_cannot_read_the_context_cannot_name_the_binary(
    proxy: TestClient, issue_token: Any, sandbox: TestServer
) -> None:
    token = await issue_token(scopes=("patient/DocumentReference.c",), patient="p1")
    response = await proxy.post("/fhir/DocumentReference", json=note("Binary/bin-p1-1"),
                                headers={"Authorization": f"Bearer {token}"})
    await forbidden(response)  # its securityContext, Patient/p1, is not readable by c alone
    assert writes(sandbox) == []


async def test_user_grants_are_not_held_to_the_rule(
    proxy: TestClient, issue_token: Any
) -> None:
    token = await issue_token(scopes=("user/*.cruds",), patient=None,
                              fhir_user="Practitioner/prac-1")
    response = await proxy.post("/fhir/DocumentReference", json=note("Binary/bin-p2-1"),
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201


# --- Bundles: each write entry is checked like the request it stands for --------------------


async def test_batch_entry_naming_another_patients_binary_is_a_403_entry(
    proxy: TestClient, p1: Any, stored: Any, sandbox: TestServer
) -> None:
    document = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "POST", "url": "DocumentReference"},
         "resource": note("Binary/bin-p2-1")},
        {"request": {"method": "POST", "url": "DocumentReference"},
         "resource": note("Binary/bin-p1-1")}]}
    before = len(stored.live("DocumentReference"))
    response = await proxy.post("/fhir", data=orjson.dumps(document),
                                headers={**p1, "Content-Type": FHIR_JSON})
    answer = await response.json(content_type=None)
    refused, created = answer["entry"]
    assert refused["response"]["status"] == "403 Forbidden"
    assert refused["response"]["outcome"]["issue"][0]["diagnostics"] == CANNOT_READ
    assert created["response"]["status"].startswith("201")
    assert len(stored.live("DocumentReference")) == before + 1
    assert [e["request"]["url"] for e in sandbox.posted[0]["entry"]] == ["DocumentReference"]


async def test_transaction_naming_another_patients_binary_is_refused_whole(
    proxy: TestClient, p1: Any, stored: Any, sandbox: TestServer
) -> None:
    document = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "POST", "url": "DocumentReference"},
         "resource": note("Binary/bin-p1-1")},
        {"request": {"method": "POST", "url": "DocumentReference"},
         "resource": note("https://proxy.example.org/fhir/Binary/bin-p2-1")}]}
    before = len(stored.live("DocumentReference"))
    response = await proxy.post("/fhir", data=orjson.dumps(document),
                                headers={**p1, "Content-Type": FHIR_JSON})
    assert response.status == 403
    body = await response.json(content_type=FHIR_JSON)
    assert body["issue"][0]["diagnostics"] == f"entry 1: {CANNOT_READ}"
    assert len(stored.live("DocumentReference")) == before
    assert sandbox.posted == []
