"""Typed application state owned by the authorization pages."""

from __future__ import annotations

import jinja2
from aiohttp import web

from ..identity import OidcLogin, UserDirectory

JINJA = web.AppKey("authorize_jinja", jinja2.Environment)
#: Set only when ``identity.local_users`` is configured.
USERS = web.AppKey("authorize_users", UserDirectory)
#: Set only when ``identity.oidc`` is configured.
OIDC = web.AppKey("authorize_oidc", OidcLogin)
