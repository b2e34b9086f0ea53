"""``GET metadata``."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from fhir.resources.R4B import get_fhir_model_class

from .support import base_url, get_json


async def test_capability_statement(client: TestClient) -> None:
    statement = await get_json(client, "/fhir/metadata")
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["implementation"]["url"] == base_url(client)
    assert "application/fhir+json" in statement["format"]
    rest = statement["rest"][0]
    assert {i["code"] for i in rest["interaction"]} == {"transaction", "batch", "search-system",
                                                        "history-system"}
    resources = {r["type"]: r for r in rest["resource"]}
    assert len(resources) == 145
    observation = resources["Observation"]
    assert {i["code"] for i in observation["interaction"]} >= {
        "read", "vread", "update", "patch", "delete", "history-instance", "history-type",
        "create", "search-type"}
    params = {p["name"]: p["type"] for p in observation["searchParam"]}
    assert params["patient"] == "reference" and params["date"] == "date"
    assert params["code"] == "token" and params["category"] == "token"
    assert "Observation:patient" in observation["searchInclude"]
    assert observation["conditionalDelete"] == "single"
    assert resources["Patient"]["operation"][0]["name"] == "everything"
    names = {p["name"] for p in resources["Patient"]["searchParam"]}
    assert {"name", "family", "given", "identifier", "birthdate", "gender"} <= names
    assert {p["name"] for p in resources["Consent"]["searchParam"]} == {"patient"}
    assert "searchParam" not in resources["Binary"]
