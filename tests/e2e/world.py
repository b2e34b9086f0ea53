"""One "world" of the end-to-end suite: the proxy in front of one upstream FHIR server.

A test receives a :class:`World` and never hard-codes an id: the patients (``a``, ``b``,
``c``) and their resources are discovered by asking the upstream directly, so the same
test body runs against the sandbox and against sekmet.  ``truth`` asks the upstream
directly (ground truth, the proxy's own credential); ``call`` goes through the proxy;
``seen`` lists what the upstream received from the proxy; ``plant`` creates a resource
directly upstream for one test (deleted afterwards).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp.test_utils import TestClient
from multidict import CIMultiDictProxy
from yarl import URL

from tests.e2e.upstreams import GROUND_TRUTH, Seen

PUBLIC_FHIR = "https://proxy.example.org/fhir"
JSON_HEADERS = {"Accept": "application/fhir+json"}


class ShiftedClock:
    """Wall-clock time plus an offset a test can move forward (token expiry)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass(frozen=True)
class Chart:
    """One patient as the upstream holds it (ids discovered, never assumed)."""

    id: str
    observations: tuple[str, ...]
    conditions: tuple[str, ...]
    practitioners: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"Patient/{self.id}"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def entries(self, mode: str | None = None) -> list[dict[str, Any]]:
        bundle = self.json
        assert bundle.get("resourceType") == "Bundle", bundle
        return [e["resource"] for e in bundle.get("entry", [])
                if "resource" in e and (mode is None or e.get("search", {}).get("mode") == mode)]

    def keyset(self, mode: str | None = None) -> set[str]:
        return {f"{r['resourceType']}/{r['id']}" for r in self.entries(mode)}

    def link(self, relation: str) -> str | None:
        return next((link["url"] for link in self.json.get("link", [])
                     if link.get("relation") == relation), None)


@dataclass
class World:
    name: str
    proxy: TestClient
    direct: aiohttp.ClientSession
    direct_base: str
    upstream_base: str  # the base the proxy calls: what it must rewrite
    seen: list[Seen]
    issue_token: Callable[..., Any]
    clock: ShiftedClock
    charts: tuple[Chart, ...]
    planted: list[str] = field(default_factory=list)

    @property
    def a(self) -> Chart:
        return self.charts[0]

    @property
    def b(self) -> Chart:
        return self.charts[1]

    @property
    def c(self) -> Chart:
        return self.charts[2]

    # -- through the proxy --------------------------------------------------------------

    async def token(self, patient: Chart | str | None, *scopes: str, **fields: Any) -> str:
        who = patient.id if isinstance(patient, Chart) else patient
        return str(await self.issue_token(patient=who, scopes=scopes or ("patient/*.rs",),
                                          **fields))

    async def call(self, method: str, target: str, token: str | None = None,
                   headers: Mapping[str, str] | None = None, body: Any = None) -> Answer:
        """``target`` is a path below the proxy's host (``/fhir/...``), sent as written."""
        sent = dict(JSON_HEADERS)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        data = body if isinstance(body, bytes | None) else orjson.dumps(body)
        if data is not None:
            sent.setdefault("Content-Type", "application/fhir+json")
        url = URL(str(self.proxy.make_url("/")).rstrip("/") + target, encoded=True)
        async with self.proxy.session.request(method, url, headers=sent, data=data,
                                              allow_redirects=False) as response:
            return Answer(response.status, response.headers, await response.read())

    async def get(self, target: str, token: str | None = None, **kwargs: Any) -> Answer:
        return await self.call("GET", target, token, **kwargs)

    async def follow(self, url: str, token: str) -> Answer:
        """Follow a link the proxy handed out (``https://proxy.example.org/fhir/...``)."""
        assert url.startswith(PUBLIC_FHIR + "/"), url
        return await self.get(url[len("https://proxy.example.org"):], token)

    def upstream_targets(self) -> list[str]:
        return [f"{s.method} {s.target}" for s in self.seen]

    # -- straight to the upstream (ground truth) ----------------------------------------

    async def truth(self, method: str, target: str, body: Any = None,
                    headers: Mapping[str, str] | None = None) -> Answer:
        """``target`` is relative to the upstream FHIR base (``Observation?patient=...``)."""
        data = None if body is None else orjson.dumps(body)
        url = URL(f"{self.direct_base}/{target}", encoded=True)
        headers = {**JSON_HEADERS, GROUND_TRUTH: "1", **(headers or {})}
        if data is not None:
            headers["Content-Type"] = "application/fhir+json"
        async with self.direct.request(method, url, data=data, headers=headers) as response:
            return Answer(response.status, response.headers, await response.read())

    async def plant(self, resource: dict[str, Any]) -> str:
        """Create ``resource`` directly upstream; its id (removed when the test ends)."""
        answer = await self.truth("POST", resource["resourceType"], resource)
        assert answer.status == 201, answer.text
        key = f"{resource['resourceType']}/{answer.json['id']}"
        self.planted.append(key)
        return str(answer.json["id"])

    async def stored(self, key: str) -> dict[str, Any] | None:
        answer = await self.truth("GET", key)
        return answer.json if answer.status == 200 else None

    async def remove_planted(self) -> None:
        for key in reversed(self.planted):
            await self.truth("DELETE", key)
        self.planted.clear()


async def discover(truth: Callable[..., Any], wanted: int = 3) -> tuple[Chart, ...]:
    """The first ``wanted`` patients (in the server's order) with Observations and Conditions."""
    patients = await truth("GET", "Patient?_count=100")
    assert patients.status == 200, patients.text
    charts = []
    for patient in patients.entries():
        pid = patient["id"]
        observations, conditions = await asyncio.gather(
            truth("GET", f"Observation?patient=Patient/{pid}&_count=500"),
            truth("GET", f"Condition?patient=Patient/{pid}&_count=500"))
        own_obs = [r for r in observations.entries("match") if only_mentions(r, pid)]
        own_cond = [r for r in conditions.entries("match") if only_mentions(r, pid)]
        if len(own_obs) < 3 or not own_cond:
            continue
        practitioners = sorted({ref.split("/", 1)[1] for r in own_obs for ref in references(r)
                                if ref.startswith("Practitioner/")})
        charts.append(Chart(pid, tuple(r["id"] for r in own_obs),
                            tuple(r["id"] for r in own_cond), tuple(practitioners)))
        if len(charts) == wanted:
            return tuple(charts)
    raise AssertionError(f"the upstream holds fewer than {wanted} usable patients")


def references(node: Any) -> Iterator[str]:
    """Every ``reference`` string in a resource, as ``Type/id`` when it is a literal one."""
    if isinstance(node, dict):
        value = node.get("reference")
        if isinstance(value, str):
            match = _LITERAL.search(value)
            yield match.group(0) if match else value
        for child in node.values():
            yield from references(child)
    elif isinstance(node, list):
        for child in node:
            yield from references(child)


_LITERAL = re.compile(r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}(?=(/_history/[^/]+)?$)")


def only_mentions(resource: dict[str, Any], patient: str) -> bool:
    """Whether every Patient reference in ``resource`` is ``patient`` (and there is one)."""
    patients = {ref for ref in references(resource) if ref.startswith("Patient/")}
    return patients == {f"Patient/{patient}"}


def mentions(document: Any, patient: Chart) -> bool:
    """Whether ``patient`` (its reference or the id of one of its resources) appears."""
    text = orjson.dumps(document).decode() if not isinstance(document, str) else document
    needles = [patient.ref, *patient.observations, *patient.conditions]
    return any(re.search(re.escape(n) + r"(?![A-Za-z0-9\-.])", text) for n in needles)


def observation(patient: Chart, **elements: Any) -> dict[str, Any]:
    """A minimal valid Observation about ``patient`` (a heart rate), plus ``elements``."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4",
                             "display": "Heart rate"}], "text": "Heart rate"},
        "subject": {"reference": patient.ref},
        "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org",
                          "code": "/min"},
        **elements,
    }


def refusal(answer: Answer, status: int, code: str) -> str:
    """Assert a FHIR refusal (an OperationOutcome with ``status`` and issue ``code``);
    its diagnostics."""
    assert answer.status == status, (answer.status, answer.text[:500])
    assert answer.headers["Content-Type"].startswith("application/fhir+json"), answer.headers
    body = answer.json
    assert body["resourceType"] == "OperationOutcome", body
    assert body["issue"][0]["code"] == code, body
    return str(body["issue"][0].get("diagnostics", ""))


def empty_searchset(answer: Answer) -> None:
    assert answer.status == 200, (answer.status, answer.text[:500])
    body = answer.json
    assert (body["resourceType"], body["type"]) == ("Bundle", "searchset"), body
    assert body.get("entry", []) == [], body


def patient_refs(resource: dict[str, Any]) -> set[str]:
    return {ref for ref in references(resource) if ref.startswith("Patient/")}
