"""Which step a transaction is at: login → patient → MFA → consent → code.

The step is always *computed* from the transaction, never trusted from the
URL: every page's handler asks :func:`at_step` first and is sent on to the real
next step otherwise, so no step can be skipped by typing a URL.

Rules, in order:

1. **Login** until someone is signed in.  An EHR launch whose context carries
   ``fhir_user`` has a signed-in user already: the EHR authenticated them and
   vouches for them through its own credential at ``/auth/ehr-launch``.
2. **Clinicians** (``fhirUser`` is a Practitioner) act under their
   organisation's policy, not patient consent (smart-conformance.md item 100):
   no consent screen, the code carries the scopes negotiated against the app's
   ceiling (``user/`` scopes for an EHR launch).  A clinician's *standalone*
   launch that needs a patient (``launch/patient`` or a ``patient/`` scope) is
   refused with an explanation: the patient must come from an EHR launch context.
3. **Patient**: an EHR context gives it (a signed-in, not vouched, user must be
   allowed to act for it); otherwise a user acting for one patient gets that
   patient, one acting for several picks one (CON-08), and one acting for nobody
   is refused.
4. **MFA**: a user with TOTP enrolled must pass it in this transaction before
   consenting to an app for the first time (no active consent for this patient
   and app) or when ``offline_access`` is on offer.
5. **Consent**.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from ..auth.records import PendingAuthorization
from ..identity import totp
from ..keys import CLOCK, CONSENTS, STORE
from .app_redirect import with_params
from .codes import app_withdrawn, issue_code
from .keys import USERS
from .pages import message_page, page_url, redirect
from .transaction import check_csrf, finish, load, save


class Step(Enum):
    LOGIN = "/auth/login"
    PICK_PATIENT = "/auth/patient"
    MFA = "/auth/mfa"
    CONSENT = "/auth/consent"
    ISSUE = "issue"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Next:
    step: Step
    pending: PendingAuthorization
    reason: str = ""


CLINICIAN_STANDALONE = (
    "Clinicians cannot choose a patient for this app here. Open the app from the "
    "patient's chart in the EHR, which tells the app which patient to use."
)
NO_PATIENT = "This account is not linked to a patient record that it may share."
NOT_YOUR_PATIENT = "This account may not share the records of the patient open in the EHR."


def is_clinician(fhir_user: str | None) -> bool:
    return fhir_user is not None and fhir_user.startswith("Practitioner/")


def needs_patient(scopes: tuple[str, ...]) -> bool:
    return any(s == "launch/patient" or s.startswith("patient/") for s in scopes)


async def first_consent(request: web.Request, pending: PendingAuthorization) -> bool:
    if pending.patient is None:
        return True
    now = request.app[CLOCK]()
    consents = await request.app[CONSENTS].of_patient(pending.patient)
    return not any(c.client_id == pending.client_id and c.is_active(now) for c in consents)


async def mfa_required(request: web.Request, pending: PendingAuthorization) -> bool:
    if pending.username is None:  # vouched for by the EHR: no account of ours
        return False
    users = request.app.get(USERS)
    if not await totp.is_enrolled(request.app[STORE], users, pending.username):
        return False
    return "offline_access" in pending.scopes_offered or await first_consent(request, pending)


async def next_step(request: web.Request, pending: PendingAuthorization) -> Next:
    if pending.fhir_user is None:
        return Next(Step.LOGIN, pending)
    if is_clinician(pending.fhir_user):
        if pending.patient is None and needs_patient(pending.scopes_offered):
            return Next(Step.REFUSE, pending, CLINICIAN_STANDALONE)
        return Next(Step.ISSUE, pending)
    if pending.patient is None:
        if len(pending.patients) > 1:
            return Next(Step.PICK_PATIENT, pending)
        if not pending.patients:
            return Next(Step.REFUSE, pending, NO_PATIENT)
        pending = await save(request, pending, patient=pending.patients[0])
    elif pending.username is not None and pending.patient not in pending.patients:
        return Next(Step.REFUSE, pending, NOT_YOUR_PATIENT)
    if not pending.mfa_passed and await mfa_required(request, pending):
        return Next(Step.MFA, pending)
    return Next(Step.CONSENT, pending)


async def refuse(request: web.Request, pending: PendingAuthorization, reason: str) -> web.Response:
    await finish(request, pending)
    if (withdrawn := app_withdrawn(request, pending)) is not None:
        return withdrawn  # no link back to an app that is no longer approved
    back = with_params(
        pending.redirect_uri,
        [("error", "access_denied"), ("error_description", reason), ("state", pending.state)],
    )
    return message_page(
        request,
        403,
        "This app cannot be connected this way",
        reason,
        link=back,
        link_text="Return to the app",
    )


async def respond(request: web.Request, nxt: Next) -> web.Response:
    if nxt.step is Step.ISSUE:
        return await issue_code(request, nxt.pending, nxt.pending.scopes_offered, None)
    if nxt.step is Step.REFUSE:
        return await refuse(request, nxt.pending, nxt.reason)
    return redirect(page_url(request, nxt.step.value, tx=nxt.pending.tx_id), status=303)


async def advance(request: web.Request, pending: PendingAuthorization) -> web.Response:
    """Send the browser to whatever the transaction needs next."""
    return await respond(request, await next_step(request, pending))


async def at_step(
    request: web.Request, pending: PendingAuthorization, step: Step
) -> PendingAuthorization | web.Response:
    """``pending`` when it is at ``step``; otherwise the answer that moves it on."""
    nxt = await next_step(request, pending)
    return nxt.pending if nxt.step is step else await respond(request, nxt)


async def posted_step(
    request: web.Request, step: Step
) -> tuple[MultiDictProxy[str | FileField], PendingAuthorization] | web.Response:
    """A form POST of ``step``: its transaction, CSRF token and step position all checked."""
    form = await request.post()
    pending = await load(request, form.get("tx"))
    if isinstance(pending, web.Response):
        return pending
    if (refusal := check_csrf(request, pending.csrf, form)) is not None:
        return refusal
    pending = await at_step(request, pending, step)
    if isinstance(pending, web.Response):
        return pending
    return form, pending
