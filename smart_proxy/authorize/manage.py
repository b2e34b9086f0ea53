"""``/patient/apps``: the patient's connected apps, with Revoke (the SMART ``management_endpoint``).

regulatory.md CON-06 / REG-08: for each app holding an active consent for a
patient the signed-in person may act for -- its name, what it may see (plain
language), since when, until when, offline or not -- and a Revoke button.
Revoking calls :meth:`ConsentStore.revoke`, which withdraws the consent and ends
every token and refresh family issued under it: the next FHIR call fails.

Only patients and people acting for them (Patient and RelatedPerson users) use
this page; a clinician account, though linked to many patients, cannot revoke
their consents.  Every POST carries the session's CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from scopes import ResourceScope, describe, parse_scope

from ..consent import ConsentRecord
from ..keys import CLOCK, CONSENTS, REGISTRY
from . import cookies
from .flow import is_clinician
from .pages import message_page, page_url, redirect, render
from .session import LoginSession, current, end
from .transaction import check_csrf


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %B %Y")


def plain_language(scopes: tuple[str, ...]) -> list[str]:
    titles = []
    for text in scopes:
        scope = parse_scope(text)
        if isinstance(scope, ResourceScope):
            titles.append(describe(scope).title)
    return titles


async def signed_in(
    request: web.Request, next_page: str, *, patients_only: bool = True
) -> LoginSession | web.Response:
    session = await current(request)
    if session is None or not session.signed_in:
        return redirect(page_url(request, "/auth/login", next=next_page), status=303)
    if patients_only and is_clinician(session.fhir_user):
        return message_page(
            request,
            403,
            "This page is for patients",
            "Connected apps are managed by patients and the people acting for them.",
        )
    return session


def _row(request: web.Request, consent: ConsentRecord) -> dict[str, Any]:
    app = request.app[REGISTRY].get(consent.client_id)
    return {
        "consent_id": consent.consent_id,
        "app_name": app.name if app is not None else consent.client_id,
        "patient": consent.patient,
        "shares": plain_language(consent.granted_scopes),
        "since": when(consent.created_at),
        "until": "Until you revoke it"
        if consent.expires_at is None
        else "Until " + when(consent.expires_at),
        "offline": consent.offline,
    }


async def connected_apps(request: web.Request) -> web.Response:
    session = await signed_in(request, "/patient/apps")
    if isinstance(session, web.Response):
        return session
    now = request.app[CLOCK]()
    rows = [
        _row(request, consent)
        for patient in session.patients
        for consent in await request.app[CONSENTS].of_patient(patient)
        if consent.is_active(now)
    ]
    return render(
        request,
        "apps.html",
        title="Your connected apps",
        person=session.display_name,
        rows=rows,
        csrf=session.csrf,
        revoke_action=page_url(request, "/patient/apps/revoke"),
        logout_action=page_url(request, "/patient/logout"),
        enrol_url=page_url(request, "/patient/mfa"),
    )


async def revoke_app(request: web.Request) -> web.Response:
    session = await signed_in(request, "/patient/apps")
    if isinstance(session, web.Response):
        return session
    form = await request.post()
    if (refusal := check_csrf(request, session.csrf, form)) is not None:
        return refusal
    consent_id = form.get("consent_id")
    consents = request.app[CONSENTS]
    consent = await consents.get(consent_id) if isinstance(consent_id, str) and consent_id else None
    if consent is None or consent.patient not in session.patients:
        return message_page(request, 404, "Not found", "That connected app was not found.")
    await consents.revoke(consent.consent_id, request.app[CLOCK](), by=session.username or "")
    return redirect(page_url(request, "/patient/apps"), status=303)


async def logout(request: web.Request) -> web.Response:
    session = await current(request)
    if session is None:
        return redirect(page_url(request, "/auth/login", next="/patient/apps"), status=303)
    form = await request.post()
    if (refusal := check_csrf(request, session.csrf, form)) is not None:
        return refusal
    await end(request, session)
    response = message_page(
        request,
        200,
        "You are signed out",
        "You have signed out of your connected apps page.",
        link=page_url(request, "/auth/login", next="/patient/apps"),
        link_text="Sign in again",
    )
    cookies.clear(request, response, cookies.SESSION)
    return response
