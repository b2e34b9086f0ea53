"""Discovery documents: SMART configuration, OpenID configuration, JWKS, style.

SMART App Launch 2.2 §"Conformance" (conformance.html#metadata): the
``.well-known/smart-configuration`` document is served under the FHIR base as
``application/json`` to anyone, with CORS for any origin.  OpenID Connect
Discovery 1.0 §4 for ``{issuer}/.well-known/openid-configuration``; issuer, id_token
``iss`` and both documents' ``jwks_uri`` are the same values.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..endpoints import Endpoints
from ..keys import ENDPOINTS, SIGNING_KEY
from .openapi import handle_openapi
from .scopes_supported import SCOPES_SUPPORTED

CAPABILITIES = (
    "launch-ehr",
    "launch-standalone",
    "authorize-post",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-banner",
    "context-style",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "context-standalone-encounter",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
)
CLIENT_AUTH_METHODS = ("private_key_jwt", "client_secret_basic", "client_secret_post", "none")
ASSERTION_ALGORITHMS = ("RS384", "ES384")
SMART_STYLE = {
    "color_background": "#edeae3",
    "color_error": "#9e2d2d",
    "color_highlight": "#69b5ce",
    "color_modal_backdrop": "",
    "color_success": "#498e49",
    "color_text": "#303030",
    "dim_border_radius": "6px",
    "dim_font_size": "13px",
    "dim_spacing_size": "20px",
    "font_family_body": "Georgia, Times, 'Times New Roman', serif",
    "font_family_heading": "'HelveticaNeue-Light', Helvetica, Arial, 'Lucida Grande', sans-serif",
}
PUBLIC_JSON = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}


def smart_configuration(endpoints: Endpoints) -> dict[str, Any]:
    return {
        "issuer": str(endpoints.issuer),
        "jwks_uri": str(endpoints.jwks),
        "authorization_endpoint": str(endpoints.authorize),
        "token_endpoint": str(endpoints.token),
        "introspection_endpoint": str(endpoints.introspect),
        "revocation_endpoint": str(endpoints.revoke),
        "management_endpoint": str(endpoints.manage),
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "capabilities": list(CAPABILITIES),
    }


def openid_configuration(endpoints: Endpoints) -> dict[str, Any]:
    return {
        "issuer": str(endpoints.issuer),
        "authorization_endpoint": str(endpoints.authorize),
        "token_endpoint": str(endpoints.token),
        "jwks_uri": str(endpoints.jwks),
        "introspection_endpoint": str(endpoints.introspect),
        "revocation_endpoint": str(endpoints.revoke),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "scopes_supported": ["openid", "fhirUser", "profile", "launch", "launch/patient",
                             "offline_access", "online_access"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "fhirUser",
                             "name"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
    }


async def handle_smart_configuration(request: web.Request) -> web.Response:
    return web.json_response(smart_configuration(request.app[ENDPOINTS]), headers=PUBLIC_JSON)


async def handle_openid_configuration(request: web.Request) -> web.Response:
    return web.json_response(openid_configuration(request.app[ENDPOINTS]), headers=PUBLIC_JSON)


async def handle_jwks(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIGNING_KEY].jwks(), headers=PUBLIC_JSON)


async def handle_smart_style(request: web.Request) -> web.Response:
    return web.json_response(SMART_STYLE, headers=PUBLIC_JSON)


async def handle_preflight(request: web.Request) -> web.Response:
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, OPTIONS",
            "Access-Control-Allow-Headers": "Accept, Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


def add_discovery_routes(app: web.Application) -> None:
    for path, handler in (
        ("/fhir/.well-known/smart-configuration", handle_smart_configuration),
        ("/.well-known/openid-configuration", handle_openid_configuration),
        ("/.well-known/jwks.json", handle_jwks),
        ("/auth/smart-style.json", handle_smart_style),
        ("/auth/openapi.json", handle_openapi),
    ):
        app.router.add_get(path, handler)
        app.router.add_route("OPTIONS", path, handle_preflight)
