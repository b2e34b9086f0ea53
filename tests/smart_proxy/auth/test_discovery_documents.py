"""Discovery: SMART configuration, OpenID configuration, JWKS, style (checklist §1)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from joserfc.jwk import KeySet

from smart_proxy.app import create_app
from smart_proxy.state import MemoryStore
from tests.support import make_config

BASE = "https://proxy.example.org"


@pytest.fixture
async def client(aiohttp_client: Any, store: MemoryStore) -> TestClient:
    return await aiohttp_client(create_app(make_config("http://127.0.0.1:9/fhir"), store=store))


@pytest.mark.parametrize("accept", ["application/json", "*/*", "text/html", None, "application/fhir+json"])
async def test_smart_configuration_is_json_whatever_accept_says(client: TestClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/fhir/.well-known/smart-configuration", headers=headers)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    doc = await response.json()
    assert doc["authorization_endpoint"] == f"{BASE}/auth/authorize"
    assert doc["token_endpoint"] == f"{BASE}/auth/token"
    assert doc["introspection_endpoint"] == f"{BASE}/auth/introspect"
    assert doc["revocation_endpoint"] == f"{BASE}/auth/revoke"
    assert doc["management_endpoint"] == f"{BASE}/patient/apps"
    assert doc["issuer"] == BASE
    assert doc["jwks_uri"] == f"{BASE}/.well-known/jwks.json"


async def test_smart_configuration_fields(client: TestClient) -> None:
    doc = await (await client.get("/fhir/.well-known/smart-configuration")).json()
    assert {"authorization_code", "client_credentials"} <= set(doc["grant_types_supported"])
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert {"private_key_jwt", "client_secret_basic"} <= set(doc["token_endpoint_auth_methods_supported"])
    assert {"RS384", "ES384"} <= set(doc["token_endpoint_auth_signing_alg_values_supported"])
    assert set(doc["capabilities"]) >= {
        "launch-ehr", "launch-standalone", "authorize-post", "client-public",
        "client-confidential-symmetric", "client-confidential-asymmetric", "sso-openid-connect",
        "context-banner", "context-style", "context-ehr-patient", "context-ehr-encounter",
        "context-standalone-patient", "context-standalone-encounter", "permission-offline",
        "permission-online", "permission-patient", "permission-user", "permission-v1", "permission-v2",
    }
    scopes = set(doc["scopes_supported"])
    assert {"openid", "fhirUser", "launch", "launch/patient", "offline_access", "patient/Patient.rs",
            "patient/Observation.rs", "system/*.rs"} <= scopes
    assert ("patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
            in scopes)
    assert ("patient/Condition.rs?category=http://hl7.org/fhir/us/core/CodeSystem/condition-category|health-concern"
            in scopes)
    for key, value in doc.items():
        if key.endswith("_endpoint") or key.endswith("_uri"):
            assert value.startswith("https://"), key


@pytest.mark.parametrize(
    "path", ["/fhir/.well-known/smart-configuration", "/.well-known/openid-configuration",
             "/.well-known/jwks.json", "/auth/smart-style.json"],
)
async def test_public_documents_answer_any_origin(client: TestClient, path: str) -> None:
    response = await client.get(path, headers={"Origin": "https://anything.example"})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = await client.options(path, headers={"Origin": "https://x.example",
                                                    "Access-Control-Request-Method": "GET"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


async def test_openid_configuration_and_jwks(client: TestClient) -> None:
    smart = await (await client.get("/fhir/.well-known/smart-configuration")).json()
    response = await client.get("/.well-known/openid-configuration")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    oidc = await response.json()
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
                "response_types_supported", "subject_types_supported",
                "id_token_signing_alg_values_supported"):
        assert key in oidc
    assert "RS256" in oidc["id_token_signing_alg_values_supported"]
    assert oidc["issuer"] == smart["issuer"] and oidc["jwks_uri"] == smart["jwks_uri"]
    jwks = await (await client.get("/.well-known/jwks.json")).json()
    assert len(jwks["keys"]) == 1
    key = jwks["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    KeySet.import_key_set(jwks)


async def test_smart_style_is_public_json(client: TestClient) -> None:
    response = await client.get("/auth/smart-style.json")
    assert response.status == 200
    style = await response.json()
    assert style["color_background"].startswith("#") and "font_family_body" in style


async def test_openapi_description_served(client: TestClient) -> None:
    doc = await (await client.get("/auth/openapi.json")).json()
    assert doc["openapi"].startswith("3.0")
    assert {"/auth/authorize", "/auth/token", "/auth/introspect", "/auth/revoke"} <= set(doc["paths"])
    assert doc["servers"] == [{"url": BASE}]
