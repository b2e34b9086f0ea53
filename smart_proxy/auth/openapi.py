"""An OpenAPI 3.0 description of the OAuth and discovery endpoints, served at ``/auth/openapi.json``.

It documents the machine-facing surface app developers and EHR integrators use
(RFC 6749 authorize and token, RFC 7662 introspection, RFC 7009 revocation, the
EHR launch-context endpoint, discovery) and is what the API fuzzing run in CI
explores: no request it can generate may end in a 5xx.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..keys import CONFIG

_FORM = "application/x-www-form-urlencoded"
_STRING = {"type": "string"}
_AUTHORIZE_PARAMS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "aud",
    "code_challenge", "code_challenge_method", "launch", "nonce",
)


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {_FORM: {"schema": {"type": "object", "properties": properties, "required": required}}},
    }


def _responses(*codes: int) -> dict[str, Any]:
    text = {200: "OK", 204: "No content", 302: "Redirect to the app or the next step",
            400: "Invalid request", 401: "Client or token authentication failed",
            403: "Forbidden", 404: "Not found", 429: "Too many attempts"}
    return {str(code): {"description": text[code]} for code in codes}


def openapi_document(server_url: str) -> dict[str, Any]:
    token_form = {
        "grant_type": {"type": "string", "enum": ["authorization_code", "refresh_token", "client_credentials"]},
        **{name: _STRING for name in (
            "code", "redirect_uri", "code_verifier", "client_id", "client_secret", "refresh_token",
            "scope", "client_assertion_type", "client_assertion")},
    }
    authorize_query = [
        {"name": name, "in": "query", "required": False, "schema": _STRING} for name in _AUTHORIZE_PARAMS
    ]
    return {
        "openapi": "3.0.3",
        "info": {"title": "smart-proxy authorization server", "version": "1"},
        "servers": [{"url": server_url}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            }
        },
        "paths": {
            "/auth/authorize": {
                "get": {"summary": "SMART authorization request", "parameters": authorize_query,
                        "responses": _responses(302, 400)},
                "post": {"summary": "SMART authorization request (form POST)",
                         "requestBody": _form({n: _STRING for n in _AUTHORIZE_PARAMS}, []),
                         "responses": _responses(302, 400)},
            },
            "/auth/token": {
                "post": {"summary": "Token endpoint (RFC 6749 §3.2)", "requestBody": _form(token_form, ["grant_type"]),
                         "security": [{}, {"basic": []}], "responses": _responses(200, 400, 401)},
            },
            "/auth/introspect": {
                "post": {"summary": "Token introspection (RFC 7662)",
                         "requestBody": _form({"token": _STRING, "token_type_hint": _STRING}, ["token"]),
                         "security": [{"bearer": []}, {"basic": []}], "responses": _responses(200, 400, 401)},
            },
            "/auth/revoke": {
                "post": {"summary": "Token revocation (RFC 7009)",
                         "requestBody": _form({"token": _STRING, "token_type_hint": _STRING,
                                               "client_id": _STRING}, ["token"]),
                         "security": [{}, {"basic": []}], "responses": _responses(200, 400, 401)},
            },
            "/auth/ehr-launch": {
                "post": {
                    "summary": "EHR creates a launch context",
                    "security": [{"basic": []}, {"bearer": []}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"patient": _STRING, "encounter": _STRING, "fhir_user": _STRING,
                                       "client_id": _STRING, "need_patient_banner": {"type": "boolean"},
                                       "intent": _STRING},
                        "required": ["patient"]}}}},
                    "responses": _responses(200, 400, 401, 404),
                },
            },
            "/fhir/.well-known/smart-configuration": {"get": {"responses": _responses(200)}},
            "/.well-known/openid-configuration": {"get": {"responses": _responses(200)}},
            "/.well-known/jwks.json": {"get": {"responses": _responses(200)}},
            "/auth/smart-style.json": {"get": {"responses": _responses(200)}},
        },
    }


async def handle_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(str(request.app[CONFIG].public_url)))
