"""Binary under a patient grant: released only when what speaks for it is readable (edge case 22).

Sandbox data: every patient has a clinical note (DocumentReference ``doc-pN-1`` pointing at
``Binary/bin-pN-1``, securityContext ``Patient/pN``); p3 also has a psychiatry note
(``doc-p3-2`` labelled PSY + R, ``Binary/bin-p3-2``).
"""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smart_proxy.consent import ConsentRecord, ConsentStore
from smart_proxy.sandbox import SANDBOX_STORE
from smart_proxy.state import MemoryStore

NOTE = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
RAW = {"Accept": "text/plain"}
JSON = {"Accept": "application/fhir+json"}


def bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


@pytest.mark.parametrize("accept", [RAW, JSON], ids=["raw", "json"])
async def test_own_note_is_released(proxy: TestClient, sandbox: TestServer, issue_token: Any,
                                    accept: dict[str, str]) -> None:
    token = await issue_token(patient="p1", scopes=("patient/*.rs",))
    direct = sandbox.app[SANDBOX_STORE].current("Binary", "bin-p1-1").payload  # type: ignore[union-attr]
    response = await proxy.get("/fhir/Binary/bin-p1-1", headers=bearer(token, **accept))
    assert response.status == 200
    if accept is RAW:
        assert await response.read() == bytes(direct)
        assert response.headers["X-Security-Context"].endswith("Patient/p1")
    else:
        body = await response.json(content_type=None)
        assert (body["resourceType"], body["id"]) == ("Binary", "bin-p1-1")


@pytest.mark.parametrize("accept", [RAW, JSON], ids=["raw", "json"])
@pytest.mark.parametrize("path", ["/fhir/Binary/bin-p2-1", "/fhir/Binary/bin-p2-1/_history/1",
                                  "/fhir/Binary/no-such-binary"])
async def test_another_patients_note_is_404_like_a_missing_one(
    proxy: TestClient, issue_token: Any, path: str, accept: dict[str, str]
) -> None:
    token = await issue_token(patient="p1", scopes=("patient/*.rs",))
    response = await proxy.get(path, headers=bearer(token, **accept))
    assert response.status == 404
    body = await response.json(content_type=None)
    assert body["issue"][0]["code"] == "not-found"
    assert "bin-p2-1" not in await response.text()


@pytest.mark.parametrize("accept", [RAW, JSON], ids=["raw", "json"])
async def test_withheld_sensitive_note_keeps_its_attachment(
    proxy: TestClient, store: MemoryStore, issue_token: Any, accept: dict[str, str]
) -> None:
    await ConsentStore(store).save(ConsentRecord(
        "c-p3", "p3", "demo-patient-app", ("patient/*.rs",), time.time() - 5,
        withheld_labels=("http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY",)))
    token = await issue_token(patient="p3", scopes=("patient/*.rs",), consent_id="c-p3")
    sensitive = await proxy.get("/fhir/Binary/bin-p3-2", headers=bearer(token, **accept))
    assert sensitive.status == 404
    ordinary = await proxy.get("/fhir/Binary/bin-p3-1", headers=bearer(token, **accept))
    assert ordinary.status == 200


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        (("patient/Binary.rs", f"patient/DocumentReference.rs?category={NOTE}|clinical-note"), 200),
        (("patient/Binary.rs", f"patient/DocumentReference.rs?category={NOTE}|other"), 404),
        (("patient/Binary.rs", "patient/Patient.rs"), 404),
        (("patient/Binary.rs",), 404),
        (("patient/DocumentReference.rs",), 403),
        (("patient/Binary.s", "patient/DocumentReference.rs"), 403),
    ],
)
async def test_the_pointing_document_must_be_readable(
    proxy: TestClient, issue_token: Any, scopes: tuple[str, ...], status: int
) -> None:
    token = await issue_token(patient="p1", scopes=scopes)
    response = await proxy.get("/fhir/Binary/bin-p1-1", headers=bearer(token, **RAW))
    assert response.status == status


@pytest.mark.parametrize(
    ("context", "scopes", "status"),
    [
        ("Patient/p1", ("patient/Binary.rs", "patient/Patient.rs"), 200),
        # the patient in context as the context: the patient's own, even without Patient.r
        ("Patient/p1", ("patient/Binary.rs", "patient/Observation.rs"), 200),
        ("Patient/p1", ("patient/Observation.rs",), 403),
        ("Patient/p2", ("patient/Binary.rs", "patient/Patient.rs"), 404),
        ("Observation/no-such", ("patient/*.rs",), 404),
        (None, ("patient/*.rs",), 404),
    ],
)
async def test_without_a_pointer_the_security_context_decides(
    proxy: TestClient, sandbox: TestServer, issue_token: Any, context: str | None,
    scopes: tuple[str, ...], status: int
) -> None:
    sandbox.app[SANDBOX_STORE].put_binary("loose", "text/plain", b"loose bytes",
                                          security_context=context)
    token = await issue_token(patient="p1", scopes=scopes)
    response = await proxy.get("/fhir/Binary/loose", headers=bearer(token, **RAW))
    assert response.status == status
    if status == 200:
        assert await response.read() == b"loose bytes"


async def test_a_withheld_pointer_overrides_a_readable_security_context(
    proxy: TestClient, sandbox: TestServer, store: MemoryStore, issue_token: Any
) -> None:
    upstream = sandbox.app[SANDBOX_STORE]
    upstream.put_binary("psy-attachment", "text/plain", b"sensitive", security_context="Patient/p1")
    doc = dict(upstream.current("DocumentReference", "doc-p1-1").resource)  # type: ignore[union-attr]
    doc["id"] = "doc-p1-psy"
    doc["meta"] = {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                 "code": "PSY"}]}
    doc["content"] = [{"attachment": {"contentType": "text/plain",
                                      "url": "Binary/psy-attachment"}}]
    upstream.put(doc)
    await ConsentStore(store).save(ConsentRecord(
        "c-p1", "p1", "demo-patient-app", ("patient/*.rs",), time.time() - 5,
        withheld_labels=("http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY",)))
    withholding = await issue_token(patient="p1", scopes=("patient/*.rs",), consent_id="c-p1")
    sharing = await issue_token(patient="p1", scopes=("patient/*.rs",))
    refused = await proxy.get("/fhir/Binary/psy-attachment", headers=bearer(withholding, **RAW))
    shared = await proxy.get("/fhir/Binary/psy-attachment", headers=bearer(sharing, **RAW))
    assert (refused.status, shared.status) == (404, 200)
    assert await shared.read() == b"sensitive"


@pytest.mark.parametrize("accept", [RAW, JSON], ids=["raw", "json"])
async def test_unconfined_grants_read_any_binary(proxy: TestClient, issue_token: Any,
                                                 accept: dict[str, str]) -> None:
    token = await issue_token(patient=None, scopes=("user/Binary.rs",),
                              fhir_user="Practitioner/prac-1")
    response = await proxy.get("/fhir/Binary/bin-p2-1", headers=bearer(token, **accept))
    assert response.status == 200


async def test_head_follows_the_same_rule(proxy: TestClient, issue_token: Any) -> None:
    token = await issue_token(patient="p1", scopes=("patient/*.rs",))
    mine = await proxy.head("/fhir/Binary/bin-p1-1", headers=bearer(token, **RAW))
    theirs = await proxy.head("/fhir/Binary/bin-p2-1", headers=bearer(token, **RAW))
    assert (mine.status, theirs.status) == (200, 404)


async def test_a_document_the_app_wrote_does_not_unlock_another_patients_binary(
    proxy: TestClient, issue_token: Any
) -> None:
    """The Binary's securityContext (p2) is never overridden by a pointer in p1's record."""
    token = await issue_token(patient="p1", scopes=("patient/*.cruds",))
    pointer = {"resourceType": "DocumentReference", "status": "current",
               "subject": {"reference": "Patient/p1"},
               "content": [{"attachment": {"contentType": "text/plain", "url": "Binary/bin-p2-1"}}]}
    await proxy.post("/fhir/DocumentReference", json=pointer, headers=bearer(token))
    response = await proxy.get("/fhir/Binary/bin-p2-1", headers=bearer(token, **RAW))
    assert response.status == 404
    assert "Discharge" not in await response.text()


PSY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}


@pytest.mark.parametrize("accept", [RAW, JSON], ids=["raw", "json"])
async def test_a_binarys_own_withheld_label_holds_for_raw_reads_too(
    proxy: TestClient, stored: Any, store: MemoryStore, issue_token: Any, accept: dict[str, str]
) -> None:
    await ConsentStore(store).save(ConsentRecord(
        "c-psy", "p1", "demo-patient-app", ("patient/*.rs",), time.time() - 5,
        withheld_labels=(f"{PSY['system']}|PSY",)))
    token = await issue_token(scopes=("patient/*.rs",), patient="p1", consent_id="c-psy")
    for binary_id, labels in (("bin-psy", [PSY]), ("bin-plain", [])):
        stored.put({"resourceType": "Binary", "id": binary_id, "contentType": "text/plain",
                    "meta": {"security": labels}, "securityContext": {"reference": "Patient/p1"},
                    "data": base64.b64encode(b"NOTE " + binary_id.encode()).decode()})
    labelled = await proxy.get("/fhir/Binary/bin-psy", headers=bearer(token, **accept))
    assert labelled.status == 404
    plain = await proxy.get("/fhir/Binary/bin-plain", headers=bearer(token, **accept))
    assert plain.status == 200
    if accept is RAW:
        assert await plain.read() == b"NOTE bin-plain"
        assert plain.headers["Content-Type"].startswith("text/plain")
        assert plain.headers["X-Security-Context"] == "Patient/p1"
    else:
        assert (await plain.json(content_type=None))["id"] == "bin-plain"
