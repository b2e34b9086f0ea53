"""``/auth/consent``: the patient reads what the app asks for and allows or denies it.

The page shows the app as registered (name, logo, publisher, its registered
return address's host so look-alike apps stand out, privacy-policy and terms
links, opened in a new tab with ``rel="noopener noreferrer"``; regulatory.md
SEC-07) and its attestation status in neutral, factual words only
(information-blocking rules, 45 CFR 171; regulatory.md ATT-01): nothing
discourages the patient beyond the facts.  Links are shown only for http(s)
URLs and the logo only for https or ``data:image/`` URLs.

Allow saves a :class:`ConsentRecord` (with ``shown``: what the page displayed)
and sends the code; Deny, or keeping no data type, sends ``access_denied``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from app_registry import Attestation, AttestationStatus, RegisteredApp

from ..auth.records import PendingAuthorization
from ..consent import ConsentRecord
from ..keys import CLOCK, REGISTRY
from .codes import deny, issue_code
from .consent_model import DEFAULT_DURATION, DURATIONS, SENSITIVE_LABELS, build_screen, read_answer
from .flow import Step, at_step, posted_step
from .pages import message_page, page_url, render
from .picker import patient_label
from .transaction import load


def safe_link(uri: str | None) -> str | None:
    return uri if uri is not None and uri.lower().startswith(("https://", "http://")) else None


def safe_logo(uri: str | None) -> str | None:
    return uri if uri is not None and uri.lower().startswith(("https://", "data:image/")) else None


def attestation_text(attestation: Attestation | None) -> str:
    if attestation is None:
        return "This app has not provided a privacy attestation."
    if attestation.status is AttestationStatus.ATTESTED:
        what = attestation.by or "a privacy policy"
        when = f" on {attestation.date.isoformat()}" if attestation.date else ""
        return f"This app's developer has attested to {what}{when}."
    if attestation.status is AttestationStatus.NOT_ATTESTED:
        return "This app has not attested to a privacy policy."
    return "This health system has not yet reviewed this app's privacy attestation."


def app_view(app: RegisteredApp, redirect_uri: str) -> dict[str, Any]:
    publisher = app.publisher
    attestation = app.attestation
    return {
        "name": app.name,
        "description": app.description,
        "logo": safe_logo(app.logo_uri),
        "publisher": publisher.name if publisher else None,
        "publisher_url": safe_link(publisher.url) if publisher else None,
        "privacy": safe_link(app.privacy_policy_uri),
        "terms": safe_link(app.tos_uri),
        "attestation": attestation_text(attestation),
        "attestation_url": safe_link(attestation.url) if attestation else None,
        "returns_to": urlsplit(redirect_uri).hostname or urlsplit(redirect_uri).scheme,
    }


def _until(now: float, seconds: int | None) -> str:
    if seconds is None:
        return "until you revoke it"
    return "until " + datetime.fromtimestamp(now + seconds, UTC).strftime("%d %B %Y, %H:%M UTC")


async def _current(request: web.Request, tx: Any) -> PendingAuthorization | web.Response:
    pending = await load(request, tx)
    if isinstance(pending, web.Response):
        return pending
    return await at_step(request, pending, Step.CONSENT)


async def show_consent(request: web.Request) -> web.Response:
    pending = await _current(request, request.query.get("tx"))
    if isinstance(pending, web.Response):
        return pending
    app = request.app[REGISTRY][pending.client_id]
    now = request.app[CLOCK]()
    assert pending.patient is not None
    return render(
        request,
        "consent.html",
        title=f"Share your health records with {app.name}?",
        app=app_view(app, pending.redirect_uri),
        screen=build_screen(pending.scopes_offered),
        patient=patient_label(pending, pending.patient),
        sensitive=SENSITIVE_LABELS,
        durations=[(key, label, _until(now, s)) for key, label, s in DURATIONS],
        default_duration=DEFAULT_DURATION,
        manage_url=page_url(request, "/patient/apps"),
        action=page_url(request, "/auth/consent"),
        tx=pending.tx_id,
        csrf=pending.csrf,
    )


async def submit_consent(request: web.Request) -> web.Response:
    posted = await posted_step(request, Step.CONSENT)
    if isinstance(posted, web.Response):
        return posted
    form, pending = posted
    decision = form.get("decision")
    if decision == "deny":
        return await deny(request, pending, "the patient declined to share their records")
    screen = build_screen(pending.scopes_offered)
    values = {name: [v for v in form.getall(name) if isinstance(v, str)] for name in set(form)}
    answer = read_answer(screen, values) if decision == "allow" else None
    if answer is None:
        return message_page(
            request, 400, "The form was not understood", "Please go back and try again."
        )
    if screen.data_types and answer.shares_no_data:
        return await deny(request, pending, "the patient chose not to share any records")
    app = request.app[REGISTRY][pending.client_id]
    now = request.app[CLOCK]()
    assert pending.patient is not None
    shown = {**screen.shown(), "app": app_view(app, pending.redirect_uri)}
    consent = ConsentRecord(
        consent_id=secrets.token_urlsafe(16),
        patient=pending.patient,
        client_id=pending.client_id,
        granted_scopes=answer.scopes,
        created_at=now,
        expires_at=None if answer.duration_s is None else now + answer.duration_s,
        username=pending.username or pending.fhir_user,
        withheld_labels=answer.withheld_labels,
        offline=answer.offline,
        shown=shown,
    )
    return await issue_code(request, pending, answer.scopes, consent)
