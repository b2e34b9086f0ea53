"""EHR launch: the EHR asks for a launch context, the app brings its id to ``/auth/authorize``.

SMART App Launch 2.2 §"Launch App: EHR Launch" and smart-conformance.md §11:

- ``POST /auth/ehr-launch`` is for the EHR only.  It authenticates with its own
  credential -- HTTP Basic (the password part) or a Bearer value -- verified
  against ``ehr_launch.credential_hash``; without that setting the route answers
  404.  The JSON body is ``{patient, encounter?, fhir_user?, client_id?,
  need_patient_banner?, intent?}``; unknown keys are refused, so a typo cannot
  silently drop context.
- The launch id is 256 random bits, stored only as its SHA-256 under
  ``LAUNCH_NS`` for ``ehr_launch.ttl_s`` seconds, bound to the context above.
- The answer is ``{launch, expires_in, launch_url}``; ``launch_url`` is the
  app's registered ``launch_uri`` + ``iss`` (this FHIR base, string-identical to
  discovery) + ``launch`` when ``client_id`` names an app with a launch URI.
- At authorize, :func:`take_launch` accepts the id once: unknown, expired, used,
  or issued for another app → ``invalid_request``.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from app_registry import LaunchType

from ..auth.records import LAUNCH_NS, LaunchContext
from ..grants import token_digest
from ..identity import fhir_user_reference, verify_secret_async
from ..keys import CLOCK, CONFIG, ENDPOINTS, REGISTRY, STORE
from .app_redirect import AppError, with_params
from .pages import NO_STORE

FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
FIELDS = frozenset(
    {"patient", "encounter", "fhir_user", "client_id", "need_patient_banner", "intent"}
)
CHALLENGE = 'Basic realm="smart-proxy ehr-launch", Bearer realm="smart-proxy ehr-launch"'


def _json(status: int, body: dict[str, Any], **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers={**NO_STORE, **headers})


def _bad(description: str) -> web.Response:
    return _json(400, {"error": "invalid_request", "error_description": description})


def presented_secret(header: str) -> str | None:
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def _context(body: dict[str, Any], request: web.Request) -> LaunchContext | str:
    """The launch context the body describes, or what is wrong with it."""
    if unknown := sorted(set(body) - FIELDS):
        return f"unknown field(s): {', '.join(unknown)}"
    patient, encounter = body.get("patient"), body.get("encounter")
    if not isinstance(patient, str) or not FHIR_ID.fullmatch(patient):
        return "patient must be a FHIR id"
    if encounter is not None and (
        not isinstance(encounter, str) or not FHIR_ID.fullmatch(encounter)
    ):
        return "encounter must be a FHIR id"
    fhir_user = body.get("fhir_user")
    if fhir_user is not None and (fhir_user := fhir_user_reference(fhir_user)) is None:
        return "fhir_user must be a Patient, Practitioner or RelatedPerson reference"
    banner, intent = body.get("need_patient_banner", True), body.get("intent")
    if not isinstance(banner, bool):
        return "need_patient_banner must be true or false"
    if intent is not None and (not isinstance(intent, str) or not 0 < len(intent) <= 128):
        return "intent must be a short string"
    client_id = body.get("client_id")
    if client_id is not None:
        app = request.app[REGISTRY].get(client_id)
        now = datetime.fromtimestamp(request.app[CLOCK](), UTC)
        if app is None or not app.is_approved(now) or not app.allows_launch(LaunchType.EHR):
            return "client_id is not an approved app registered for EHR launch"
    ttl = request.app[CONFIG].ehr_launch.ttl_s  # type: ignore[union-attr]
    return LaunchContext(
        launch_id=secrets.token_urlsafe(32),
        patient=patient,
        encounter=encounter,
        fhir_user=fhir_user,
        client_id=client_id,
        need_patient_banner=banner,
        intent=intent,
        expires_at=request.app[CLOCK]() + ttl,
    )


async def create_launch(request: web.Request) -> web.Response:
    settings = request.app[CONFIG].ehr_launch
    if settings is None:
        return _json(404, {"error": "not_found"})
    secret = presented_secret(request.headers.get("Authorization", ""))
    if secret is None or not await verify_secret_async(settings.credential_hash, secret):
        body = {"error": "invalid_client", "error_description": "EHR credential required"}
        return _json(401, body, **{"WWW-Authenticate": CHALLENGE})
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return _bad("the body must be a JSON object")
    if not isinstance(body, dict):
        return _bad("the body must be a JSON object")
    context = _context(body, request)
    if isinstance(context, str):
        return _bad(context)
    await request.app[STORE].put(
        LAUNCH_NS, token_digest(context.launch_id), context.to_json(), ttl=settings.ttl_s
    )
    app = request.app[REGISTRY].get(context.client_id) if context.client_id else None
    launch_url = None
    if app is not None and app.launch_uri:
        iss = str(request.app[ENDPOINTS].fhir_base)
        launch_url = with_params(app.launch_uri, [("iss", iss), ("launch", context.launch_id)])
    answer = {"launch": context.launch_id, "expires_in": settings.ttl_s, "launch_url": launch_url}
    return _json(201, answer)


async def take_launch(
    request: web.Request, launch_id: str, client_id: str
) -> LaunchContext | AppError:
    """The launch context for ``launch_id``, consumed; or why it cannot be used."""
    store, key = request.app[STORE], token_digest(launch_id)
    data = await store.get(LAUNCH_NS, key)
    if data is None:
        return AppError("invalid_request", "unknown or already used launch")
    context = LaunchContext.from_json(data)
    if context.expires_at <= request.app[CLOCK]():
        await store.delete(LAUNCH_NS, key)
        return AppError("invalid_request", "the launch has expired")
    if context.client_id is not None and context.client_id != client_id:
        return AppError("invalid_request", "the launch was issued for another app")
    if await store.take(LAUNCH_NS, key) is None:
        return AppError("invalid_request", "unknown or already used launch")
    return context
