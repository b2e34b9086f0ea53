"""Login sessions for the patient's own pages ("connected apps", MFA enrolment).

A session starts *anonymous* when the login form is first shown (it holds the
form's CSRF token, so a login form cannot be submitted cross-site: login CSRF)
and is replaced by a new one -- new cookie value, new CSRF token -- when the
person signs in (no session fixation).  Sessions live ``SESSION_TTL_S`` (90
minutes; regulatory.md SEC-06) under the SHA-256 of their cookie.  They are
separate from authorization transactions: signing in here authorizes no app.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from aiohttp import web

from ..grants import token_digest
from ..keys import CLOCK, STORE
from . import cookies

SESSION_NS = "login_session"
SESSION_TTL_S = 90 * 60
#: Pages a login may continue to (anything else would be an open redirect).
NEXT_PAGES = ("/patient/apps", "/patient/mfa")


@dataclass(frozen=True)
class LoginSession:
    key: str  # SHA-256 of the cookie value
    csrf: str
    created_at: float
    username: str | None = None
    fhir_user: str | None = None
    display_name: str | None = None
    patients: tuple[str, ...] = ()
    auth_time: float | None = None
    enrol_secret: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.username is not None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "patients": list(self.patients)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoginSession:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**{**values, "patients": tuple(values.get("patients", ()))})


def safe_next(value: object) -> str:
    return value if isinstance(value, str) and value in NEXT_PAGES else NEXT_PAGES[0]


async def current(request: web.Request) -> LoginSession | None:
    key = cookies.digest_of(request, cookies.SESSION)
    if key is None:
        return None
    data = await request.app[STORE].get(SESSION_NS, key)
    if data is None:
        return None
    session = LoginSession.from_json(data)
    if request.app[CLOCK]() >= session.created_at + SESSION_TTL_S:
        await request.app[STORE].delete(SESSION_NS, key)
        return None
    return session


async def _store(request: web.Request, session: LoginSession) -> None:
    left = session.created_at + SESSION_TTL_S - request.app[CLOCK]()
    await request.app[STORE].put(SESSION_NS, session.key, session.to_json(), ttl=max(left, 1.0))


async def _new(request: web.Request, **values: Any) -> tuple[str, LoginSession]:
    value = cookies.new_value()
    session = LoginSession(
        key=token_digest(value),
        csrf=secrets.token_urlsafe(24),
        created_at=request.app[CLOCK](),
        **values,
    )
    await _store(request, session)
    return value, session


async def anonymous(request: web.Request) -> tuple[str | None, LoginSession]:
    """The browser's session, or a new anonymous one (its cookie value is returned)."""
    session = await current(request)
    if session is not None:
        return None, session
    return await _new(request)


async def sign_in(
    request: web.Request,
    previous: LoginSession | None,
    *,
    username: str,
    fhir_user: str,
    display_name: str,
    patients: tuple[str, ...],
) -> str:
    """Replace ``previous`` by a signed-in session; returns the new cookie value."""
    if previous is not None:
        await request.app[STORE].delete(SESSION_NS, previous.key)
    value, _ = await _new(
        request,
        username=username,
        fhir_user=fhir_user,
        display_name=display_name,
        patients=patients,
        auth_time=request.app[CLOCK](),
    )
    return value


async def update(request: web.Request, session: LoginSession, **changes: Any) -> LoginSession:
    updated = replace(session, **changes)
    await _store(request, updated)
    return updated


async def end(request: web.Request, session: LoginSession) -> None:
    await request.app[STORE].delete(SESSION_NS, session.key)
