"""Another patient's record and an absent one read alike (DESIGN decision 6): HEAD,
conditional reads, instance history, and the answer of a write in another format."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient


@pytest.fixture
async def p1(issue_token: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {await issue_token(scopes=('patient/*.cruds',), patient='p1')}"}


async def same(proxy: TestClient, method: str, theirs: str, absent: str,
               headers: dict[str, str]) -> tuple[int, bytes]:
    answers = []
    for path in (theirs, absent):
        response = await proxy.request(method, path, headers={**headers, "X-Request-Id": "oracle-check-0001"})
        kept = {k: v for k, v in response.headers.items()
                if k.lower() in ("etag", "last-modified", "content-location", "location")}
        answers.append((response.status, await response.read(), kept))
    assert answers[0] == answers[1]
    return answers[0][0], answers[0][1]


async def test_head_checks_like_get(proxy: TestClient, p1: dict[str, str]) -> None:
    status, body = await same(proxy, "HEAD", "/fhir/Observation/obs-p2-1",
                              "/fhir/Observation/no-such", p1)
    assert (status, body) == (404, b"")
    mine = await proxy.head("/fhir/Observation/obs-p1-1", headers=p1)
    assert mine.status == 200 and mine.headers["ETag"] == 'W/"1"'
    assert await mine.read() == b""


@pytest.mark.parametrize("condition", [{"If-None-Match": 'W/"1"'},
                                       {"If-Modified-Since": "Wed, 01 Jan 2099 00:00:00 GMT"}])
async def test_conditional_reads_are_checked_before_any_304(
    proxy: TestClient, p1: dict[str, str], condition: dict[str, str]
) -> None:
    status, _ = await same(proxy, "GET", "/fhir/Observation/obs-p2-1",
                           "/fhir/Observation/no-such", {**p1, **condition})
    assert status == 404
    for path in ("/fhir/Binary/bin-p2-1", "/fhir/Binary/no-such"):
        response = await proxy.get(path, headers={**p1, **condition, "Accept": "text/plain"})
        assert response.status == 404
    mine = await proxy.get("/fhir/Observation/obs-p1-1", headers={**p1, **condition})
    assert mine.status == 200  # checked and sent whole: no upstream 304 short-cut


async def test_instance_history_of_another_patients_record_is_404(
    proxy: TestClient, p1: dict[str, str]
) -> None:
    status, _ = await same(proxy, "GET", "/fhir/Observation/obs-p2-1/_history",
                           "/fhir/Observation/no-such/_history", p1)
    assert status == 404
    mine = await proxy.get("/fhir/Observation/obs-p1-1/_history", headers=p1)
    assert mine.status == 200
    assert len((await mine.json(content_type=None))["entry"]) == 1


async def test_write_answers_are_json_and_checked(proxy: TestClient, issue_token: Any,
                                                 sandbox: Any, stored: Any) -> None:
    token = await issue_token(scopes=("patient/Observation.c",), patient="p1")
    body = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "subject": {"reference": "Patient/p1"}}
    before = len(stored.live("Observation"))
    xml = await proxy.post("/fhir/Observation", json=body, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/fhir+xml",
        "Prefer": "return=representation"})
    assert xml.status == 406  # refused before anything is written
    assert len(stored.live("Observation")) == before
    response = await proxy.post("/fhir/Observation", json=body, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/fhir+json, */*;q=0.1",
        "Prefer": "return=representation"})
    assert response.status == 201
    assert sandbox.seen[-1][2]["Accept"] == "application/fhir+json"
    answer = await response.json(content_type=None)
    assert answer["resourceType"] == "OperationOutcome"  # a c-only grant does not read it


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_a_body_on_a_bodiless_method_is_refused_not_forwarded(
    proxy: TestClient, p1: dict[str, str], sandbox: Any, method: str
) -> None:
    response = await proxy.request(method, "/fhir/Observation/obs-p1-1", headers=p1,
                                   data=b'{"resourceType": "Parameters"}')
    assert response.status == 400
    assert "carries no body" in (await response.json(content_type=None))["issue"][0]["diagnostics"]
    assert sandbox.seen == []


async def test_includes_do_not_outlive_a_withheld_match(
    proxy: TestClient, store: Any, issue_token: Any
) -> None:
    """A search that matches only withheld records answers like one that matches nothing:
    the include of the withheld diagnosis (its Patient, its asserter) goes with it."""
    import time

    from smart_proxy.consent import ConsentRecord, ConsentStore

    act = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
    await ConsentStore(store).save(ConsentRecord(
        "c-p3", "p3", "demo-patient-app", ("patient/*.rs",), time.time() - 5,
        withheld_labels=(f"{act}|PSY",)))
    token = await issue_token(scopes=("patient/*.rs",), patient="p3", consent_id="c-p3")
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": "oracle-check-0001"}
    answers = []
    for label in ("PSY", "HIV"):
        response = await proxy.get(
            f"/fhir/Condition?_security={act}|{label}&_include=Condition:subject"
            "&_include=Condition:asserter", headers=headers)
        body = await response.json(content_type=None)
        answers.append((response.status, body.get("entry", [])))
    assert answers[0] == answers[1] == (200, [])
    every = await proxy.get("/fhir/Condition?_include=Condition:subject", headers=headers)
    kept = [(e["resource"]["resourceType"], e["search"]["mode"])
            for e in (await every.json(content_type=None))["entry"]]
    assert ("Patient", "include") in kept  # the patient's other conditions still bring it


@pytest.mark.parametrize(("status", "shown"), [(400, 400), (409, 409), (500, 502)])
async def test_an_upstream_error_the_proxy_cannot_read_shows_only_its_status(
    aiohttp_client: Any, aiohttp_server: Any, store: Any, issue_token: Any,
    status: int, shown: int,
) -> None:
    from aiohttp import web

    from smart_proxy.app import create_app
    from tests.support import make_config

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, text="Observation obs-p2-1 of Patient/p2 is locked",
                            content_type="text/plain")

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", answer)
    server = await aiohttp_server(upstream)
    proxy = await aiohttp_client(create_app(make_config(str(server.make_url("/fhir"))),
                                            store=store))
    token = await issue_token(patient="p1", scopes=("patient/*.rs",))
    response = await proxy.get("/fhir/Observation/obs-p2-1",
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status == shown
    body = await response.json(content_type=None)
    assert body["resourceType"] == "OperationOutcome"
    assert "p2" not in await response.text()
