"""Issuing the access token (and id_token, refresh token) of a user authorization.

SMART App Launch 2.2 §"Response" of the access token request, RFC 6749 §5.1:
``access_token``, ``token_type: Bearer``, ``expires_in`` (a number), ``scope``
(the granted scopes, literally, space-joined -- Inferno compares them as
strings), the launch context (``patient``, ``encounter``, ``need_patient_banner``,
``smart_style_url``; SMART 2.2 §"Launch context arrives with your access_token"),
``id_token`` when ``openid`` is granted (OIDC Core §3.1.3.3) and
``refresh_token`` when ``offline_access`` or ``online_access`` is granted.

The access token is opaque (DESIGN decision 1): :func:`~smart_proxy.grants.
issue_access_token` stores its hash → :class:`~smart_proxy.grants.Grant`.  The
grant is indexed under its consent and its refresh family, so withdrawing the
consent or revoking the family ends it at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from app_registry import RegisteredApp

from ..endpoints import Endpoints
from ..grants import Grant, issue_access_token
from ..keys import CONSENTS, ENDPOINTS, SIGNING_KEY, STORE, TOKEN_FACTORY
from .families import link_family_grant
from .id_token import fhir_user_url, id_token_claims, subject_of
from .lifetimes import access_token_seconds, capped
from .oauth_errors import InvalidGrant
from .records import AuthorizationCode, RefreshRecord
from .refresh_tokens import store_refresh_token


@dataclass(frozen=True)
class Authorization:
    """What the user authorised, carried from the code to every refreshed token."""

    client_id: str
    scopes: tuple[str, ...]
    username: str | None = None
    fhir_user: str | None = None
    patient: str | None = None
    encounter: str | None = None
    consent_id: str | None = None
    auth_time: float | None = None
    need_patient_banner: bool | None = None

    @classmethod
    def from_code(cls, code: AuthorizationCode) -> Authorization:
        return cls(
            code.client_id, tuple(code.scopes), code.username, code.fhir_user, code.patient,
            code.encounter, code.consent_id, code.auth_time, code.need_patient_banner,
        )

    @classmethod
    def from_refresh(cls, record: RefreshRecord) -> Authorization:
        return cls(
            record.client_id, tuple(record.scopes), record.username, record.fhir_user,
            record.patient, record.encounter, record.consent_id, record.auth_time,
            record.need_patient_banner,
        )

    def refresh_record(self, family: str, now: float, expires_at: float) -> RefreshRecord:
        return RefreshRecord(
            family=family, client_id=self.client_id, scopes=self.scopes, issued_at=now,
            expires_at=expires_at, username=self.username, fhir_user=self.fhir_user,
            patient=self.patient, encounter=self.encounter, consent_id=self.consent_id,
            auth_time=self.auth_time, need_patient_banner=self.need_patient_banner,
        )


def new_id() -> str:
    return uuid.uuid4().hex


def launch_context(
    endpoints: Endpoints, patient: str | None, encounter: str | None, banner: bool | None
) -> dict[str, Any]:
    """``patient``/``encounter`` when known; banner and style whenever there is a context."""
    fields: dict[str, Any] = {}
    if patient is not None:
        fields["patient"] = patient
    if encounter is not None:
        fields["encounter"] = encounter
    if patient is not None or encounter is not None or banner is not None:
        fields["need_patient_banner"] = True if banner is None else bool(banner)
        fields["smart_style_url"] = str(endpoints.smart_style)
    return fields


async def issue_tokens(
    web_app: web.Application,
    client: RegisteredApp,
    authz: Authorization,
    *,
    now: float,
    grant_id: str,
    scopes: tuple[str, ...] | None = None,
    family: str | None = None,
    refresh_expires_at: float | None = None,
    not_after: float | None = None,
    nonce: str | None = None,
) -> dict[str, Any]:
    """Store a grant for ``scopes`` (default: all of ``authz``) and build the token response.

    ``family`` and ``refresh_expires_at`` ask for a refresh token (carrying all of
    ``authz``); ``not_after`` is the consent's expiry, which no token outlives.
    """
    store, endpoints = web_app[STORE], web_app[ENDPOINTS]
    scopes = authz.scopes if scopes is None else scopes
    expires_at = capped(now + access_token_seconds(client), not_after)
    if expires_at <= now:
        raise InvalidGrant("The patient's authorization has expired.")
    subject = subject_of(authz.username, authz.fhir_user)
    grant = Grant(
        grant_id=grant_id, client_id=client.client_id, scopes=scopes, issued_at=now,
        expires_at=expires_at, patient=authz.patient, encounter=authz.encounter,
        fhir_user=authz.fhir_user, consent_id=authz.consent_id, refresh_family=family,
        extra={"sub": subject, "need_patient_banner": authz.need_patient_banner},
    )
    if family is not None:
        await link_family_grant(store, family, grant_id)
    if authz.consent_id is not None:
        await web_app[CONSENTS].link_grant(authz.consent_id, grant_id)
    token = await issue_access_token(store, grant, now, web_app[TOKEN_FACTORY])
    body: dict[str, Any] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": int(expires_at - now),
        "scope": " ".join(scopes),
        **launch_context(endpoints, authz.patient, authz.encounter, authz.need_patient_banner),
    }
    if "openid" in scopes and subject is not None:
        fhir_user = authz.fhir_user if "fhirUser" in scopes else None
        claims = id_token_claims(
            issuer=str(endpoints.issuer), client_id=client.client_id, subject=subject, now=now,
            expires_at=expires_at, auth_time=authz.auth_time, nonce=nonce,
            fhir_user=None if fhir_user is None else fhir_user_url(endpoints.fhir_base, fhir_user),
        )
        body["id_token"] = web_app[SIGNING_KEY].sign(claims)
    if family is not None and refresh_expires_at is not None and refresh_expires_at > now:
        if authz.consent_id is not None:
            await web_app[CONSENTS].link_family(authz.consent_id, family)
        record = authz.refresh_record(family, now, refresh_expires_at)
        body["refresh_token"] = await store_refresh_token(
            store, record, now, web_app[TOKEN_FACTORY]
        )
    return body


async def consent_expiry(
    web_app: web.Application, consent_id: str | None, now: float
) -> float | None:
    """The consent's expiry (``None``: open-ended or no consent); ``invalid_grant`` if withdrawn."""
    if consent_id is None:
        return None
    consent = await web_app[CONSENTS].get(consent_id)
    if consent is None or not consent.is_active(now):
        raise InvalidGrant("The patient's consent for this app is no longer active.")
    return consent.expires_at
