"""A tiny SMART app that ``smart-proxy demo`` runs on 127.0.0.1:9999, so a person can walk
through a standalone launch: sign in, consent, and see the token response and a read.

It is the registry's ``demo-patient-app`` (a public client): it makes the PKCE pair and
``state``, sends the browser to ``/auth/authorize``, exchanges the code at the token
endpoint, and reads the patient through the proxy.  Development only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from .config import Config

DEMO_APP_PORT = 9999
CLIENT_ID = "demo-patient-app"
SCOPE = ("launch/patient openid fhirUser offline_access patient/Patient.rs patient/Observation.rs "
         "patient/Condition.rs patient/MedicationRequest.rs patient/AllergyIntolerance.rs")
PENDING = web.AppKey("pending", dict)
PROXY = web.AppKey("proxy", Config)


def _page(title: str, body: str) -> web.Response:
    text = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return web.Response(text=text, content_type="text/html", headers={"Cache-Control": "no-store"})


async def home(request: web.Request) -> web.Response:
    return _page("Demo health app", "<p>This app asks to see some of your health records.</p>"
                 "<p><a href='/launch'>Connect to your health record</a></p>")


async def launch(request: web.Request) -> web.Response:
    config = request.app[PROXY]
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(16)
    request.app[PENDING][state] = verifier
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    target = (config.public_url / "auth" / "authorize").with_query(
        response_type="code", client_id=CLIENT_ID, redirect_uri=_redirect_uri(request),
        scope=SCOPE, state=state, aud=str(config.fhir_base),
        code_challenge=challenge.decode(), code_challenge_method="S256")
    raise web.HTTPFound(str(target))


async def callback(request: web.Request) -> web.Response:
    config = request.app[PROXY]
    if "error" in request.query:
        return _page("The launch ended", f"<p>{html.escape(request.query['error'])}: "
                     f"{html.escape(request.query.get('error_description', ''))}</p>")
    verifier = request.app[PENDING].pop(request.query.get("state", ""), None)
    if verifier is None:
        return _page("Unknown launch", "<p>This callback does not match a launch from this app.</p>")
    form = {"grant_type": "authorization_code", "code": request.query.get("code", ""),
            "redirect_uri": _redirect_uri(request), "client_id": CLIENT_ID, "code_verifier": verifier}
    async with aiohttp.ClientSession() as session:
        async with session.post(str(config.public_url / "auth" / "token"), data=form) as answer:
            token: dict[str, Any] = await answer.json(content_type=None)
        patient: Any = None
        if "access_token" in token and token.get("patient"):
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            async with session.get(str(config.fhir_base / "Patient" / token["patient"]), headers=headers) as r:
                patient = {"status": r.status, "body": await r.json(content_type=None)}
    shown = {k: (v[:12] + "…" if k in ("access_token", "refresh_token", "id_token") else v)
             for k, v in token.items()}
    return _page("Connected", "<h2>Token response</h2><pre>" + html.escape(json.dumps(shown, indent=2))
                 + "</pre><h2>GET Patient through the proxy</h2><pre>"
                 + html.escape(json.dumps(patient, indent=2)[:3000]) + "</pre>")


def _redirect_uri(request: web.Request) -> str:
    return f"http://127.0.0.1:{DEMO_APP_PORT}/callback"


def create_demo_app(proxy: Config) -> web.Application:
    app = web.Application()
    app[PENDING] = {}
    app[PROXY] = proxy
    app.router.add_get("/", home)
    app.router.add_get("/launch", launch)
    app.router.add_get("/callback", callback)
    return app
