"""``GET``/``POST /auth/authorize``: the SMART authorization endpoint.

SMART App Launch 2.2: "Authorization Servers SHALL support the use of the HTTP
GET and POST methods" -- the same parameters from the query string or from an
``application/x-www-form-urlencoded`` body, with the same checks
(:mod:`.request`).  Inferno's POST arrives from a cross-site auto-submitting
form, which carries no ``SameSite=Lax`` cookie, so nothing here depends on an
earlier cookie: the transaction is created server-side and the browser cookie
that binds it is (re)issued on this answer.

An EHR ``launch`` is consumed only once every other check has passed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from multidict import MultiDict, MultiMapping

from ..auth.records import LaunchContext
from ..keys import CLOCK, ENDPOINTS, REGISTRY
from . import cookies
from .app_redirect import AppError
from .ehr_launch import take_launch
from .pages import message_page, page_url, redirect
from .request import Refused, Untrusted, check_request, trusted_client
from .transaction import create

FORM = "application/x-www-form-urlencoded"


async def _parameters(request: web.Request) -> MultiMapping[str] | None:
    if request.method != "POST":
        return request.query
    if request.content_type != FORM:
        return None
    form = await request.post()
    return MultiDict((name, value) for name, value in form.items() if isinstance(value, str))


def _untrusted(request: web.Request, message: str) -> web.Response:
    return message_page(request, 400, "This app cannot connect", message)


async def authorize(request: web.Request) -> web.Response:
    params = await _parameters(request)
    if params is None:
        return _untrusted(request, "The request was not sent as a form.")
    now = datetime.fromtimestamp(request.app[CLOCK](), UTC)
    trusted = trusted_client(params, request.app[REGISTRY], now)
    if isinstance(trusted, Untrusted):
        return _untrusted(request, trusted.message)
    app, redirect_uri = trusted
    checked = check_request(params, app, redirect_uri, str(request.app[ENDPOINTS].fhir_base))
    if isinstance(checked, Refused):
        return checked.error.response(checked.redirect_uri, checked.state)
    launch: LaunchContext | None = None
    if checked.launch is not None:
        taken = await take_launch(request, checked.launch, app.client_id)
        if isinstance(taken, AppError):
            return taken.response(redirect_uri, checked.state)
        launch = taken
    value, digest = cookies.browser_binding(request)
    pending = await create(request, checked, launch, digest)
    response = redirect(page_url(request, "/auth/login", tx=pending.tx_id), status=303)
    cookies.attach(request, response, cookies.BROWSER, value)
    return response
