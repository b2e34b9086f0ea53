"""Binary content: raw bytes in and out, or the Binary resource as FHIR JSON."""

from __future__ import annotations

import base64
import hashlib

import pytest
from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import SandboxStore

from .support import get_json, send


async def test_generated_note_is_served_raw_by_default(client: TestClient) -> None:
    response = await client.get("/fhir/Binary/bin-p1-1")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["X-Security-Context"] == "Patient/p1"
    assert response.headers["ETag"] == 'W/"1"'
    text = await response.text()
    document = await get_json(client, "/fhir/DocumentReference/doc-p1-1")
    assert len(text.encode()) == document["content"][0]["attachment"]["size"]


@pytest.mark.parametrize(("accept", "query"), [
    ("application/fhir+json", ""), ("application/json", ""), ("*/*", "?_format=json"),
    ("text/html", "?_format=application/fhir%2Bjson"),
    ("application/pdf", "?_format=application/fhir+json"),
])
async def test_fhir_json_when_asked(client: TestClient, accept: str, query: str) -> None:
    body = await get_json(client, f"/fhir/Binary/bin-p1-1{query}", headers={"Accept": accept})
    assert body["resourceType"] == "Binary" and body["contentType"] == "text/plain"
    assert body["securityContext"] == {"reference": "Patient/p1"}
    raw = await (await client.get("/fhir/Binary/bin-p1-1", headers={"Accept": "*/*"})).read()
    assert base64.b64decode(body["data"]) == raw


async def test_raw_upload_round_trip(client: TestClient) -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    response = await client.post("/fhir/Binary", data=pdf, headers={
        "Content-Type": "application/pdf", "X-Security-Context": "Patient/p2"})
    assert response.status == 201
    assert await response.read() == b""  # a raw upload is not echoed back
    location = response.headers["Location"]
    binary_id = location.split("/Binary/")[1].split("/")[0]
    raw = await client.get(f"/fhir/Binary/{binary_id}", headers={"Accept": "application/pdf"})
    assert raw.headers["Content-Type"] == "application/pdf"
    assert raw.headers["X-Security-Context"] == "Patient/p2"
    assert await raw.read() == pdf
    as_json = await get_json(client, f"/fhir/Binary/{binary_id}",
                             headers={"Accept": "application/fhir+json"})
    assert base64.b64decode(as_json["data"]) == pdf
    assert as_json["contentType"] == "application/pdf"


async def test_put_raw_and_versions(client: TestClient) -> None:
    first = await client.put("/fhir/Binary/scan", data=b"one",
                             headers={"Content-Type": "image/png"})
    assert first.status == 201
    second = await client.put("/fhir/Binary/scan", data=b"two",
                              headers={"Content-Type": "image/png"})
    assert second.status == 200 and second.headers["ETag"] == 'W/"2"'
    assert await (await client.get("/fhir/Binary/scan")).read() == b"two"
    assert await (await client.get("/fhir/Binary/scan/_history/1")).read() == b"one"


async def test_json_binary_create(client: TestClient, sandbox_store: SandboxStore) -> None:
    body, _ = await send(client, "POST", "/fhir/Binary", {
        "resourceType": "Binary", "contentType": "text/csv",
        "data": base64.b64encode(b"a,b\n1,2\n").decode()}, status=201)
    assert body is not None and base64.b64decode(body["data"]) == b"a,b\n1,2\n"
    stored = sandbox_store.current("Binary", body["id"])
    assert stored is not None and stored.payload == b"a,b\n1,2\n"
    assert "data" not in stored.resource  # type: ignore[operator]
    await send(client, "POST", "/fhir/Binary", {"resourceType": "Binary",
                                                "contentType": "text/plain", "data": "@@"},
               status=400)


async def test_seeded_bytes_through_the_store(client: TestClient,
                                              sandbox_store: SandboxStore) -> None:
    sandbox_store.put_binary("seeded", "application/octet-stream", b"\x00\x01\x02")
    response = await client.get("/fhir/Binary/seeded")
    assert await response.read() == b"\x00\x01\x02"
    assert "X-Security-Context" not in response.headers


@pytest.mark.slow
async def test_large_upload_is_stored_and_streamed_back(client: TestClient,
                                                        sandbox_store: SandboxStore) -> None:
    size = 20 * 1024 * 1024
    block = hashlib.sha256(b"seed").digest() * 1024  # 32 KiB, not compressible to nothing
    payload = (block * (size // len(block) + 1))[:size]

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, size, 1 << 20):
            yield payload[start:start + (1 << 20)]

    response = await client.put("/fhir/Binary/big", data=chunks(),
                                headers={"Content-Type": "application/octet-stream"})
    assert response.status == 201
    stored = sandbox_store.current("Binary", "big")
    assert stored is not None and len(stored.payload or b"") == size
    download = await client.get("/fhir/Binary/big")
    assert download.headers["Content-Length"] == str(size)
    digest = hashlib.sha256()
    received = 0
    async for chunk in download.content.iter_chunked(1 << 20):
        digest.update(chunk)
        received += len(chunk)
    assert received == size and digest.digest() == hashlib.sha256(payload).digest()
