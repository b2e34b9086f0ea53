"""Routes of the token side of the authorization server, registered in one call.

``POST /auth/token`` (RFC 6749 §3.2), ``POST /auth/introspect`` (RFC 7662) and
``POST /auth/revoke`` (RFC 7009), at the URLs :class:`~smart_proxy.endpoints.
Endpoints` advertises in discovery.  CORS (preflight and
``Access-Control-Allow-Origin`` for registered app origins) is applied globally
by :mod:`smart_proxy.cors`.  The HTTP client that fetches client JWKS documents
is opened and closed by a ``cleanup_ctx`` registered here; its TLS context
(``app[CLIENT_JWKS_TLS]``, the system trust store) may be replaced before start-up,
e.g. by a deployment with a private CA, never by a switch that skips
verification.
"""

from __future__ import annotations

import ssl

from aiohttp import web

from .client_jwks import CLIENT_JWKS_TLS, client_jwks_context
from .introspection import handle_introspect
from .revocation import handle_revoke
from .token_endpoint import handle_token


def add_token_routes(app: web.Application) -> None:
    app[CLIENT_JWKS_TLS] = ssl.create_default_context()
    app.cleanup_ctx.append(client_jwks_context)
    app.router.add_post("/auth/token", handle_token)
    app.router.add_post("/auth/introspect", handle_introspect)
    app.router.add_post("/auth/revoke", handle_revoke)
