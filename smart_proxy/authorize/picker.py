"""``/auth/patient``: whose records to share, for a user who may act for several patients.

SMART App Launch 2.2 "Standalone apps": a user acting for others (a parent, a
caregiver; regulatory.md CON-08) picks the patient.  The list comes from the
transaction (copied from the user's account at login), and the posted choice is
checked against it on the server: any other id gets a 400 page and nothing is
stored.
"""

from __future__ import annotations

from aiohttp import web

from ..auth.records import PendingAuthorization
from ..keys import REGISTRY
from .flow import Step, advance, at_step, posted_step
from .pages import message_page, page_url, render
from .transaction import load, save


def patient_label(pending: PendingAuthorization, patient: str) -> str:
    if pending.fhir_user == f"Patient/{patient}":
        return "Yourself"
    return f"Patient record {patient}"


async def show_picker(request: web.Request) -> web.Response:
    pending = await load(request, request.query.get("tx"))
    if isinstance(pending, web.Response):
        return pending
    pending = await at_step(request, pending, Step.PICK_PATIENT)
    if isinstance(pending, web.Response):
        return pending
    app = request.app[REGISTRY].get(pending.client_id)
    return render(
        request,
        "picker.html",
        title="Whose records?",
        app_name=app.name if app is not None else pending.client_id,
        action=page_url(request, "/auth/patient"),
        tx=pending.tx_id,
        csrf=pending.csrf,
        patients=[(p, patient_label(pending, p)) for p in pending.patients],
    )


async def submit_picker(request: web.Request) -> web.Response:
    posted = await posted_step(request, Step.PICK_PATIENT)
    if isinstance(posted, web.Response):
        return posted
    form, pending = posted
    chosen = form.get("patient")
    if not isinstance(chosen, str) or chosen not in pending.patients:
        return message_page(
            request,
            400,
            "That patient cannot be chosen",
            "You may only share the records of the patients listed. Go back and choose one.",
        )
    return await advance(request, await save(request, pending, patient=chosen))
