"""Shared helpers for the policy tables: a grant from scope strings, a call from its text."""

from __future__ import annotations

from scopes import ScopeSet
from scopes.access import GrantContext
from scopes.decision import Decision
from scopes.policy import decide
from scopes.request import FhirRequest, parse_url

OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
LAB = f"{OBS_CAT}|laboratory"
VITALS = f"{OBS_CAT}|vital-signs"
SURVEY = f"{OBS_CAT}|survey"
LAB_SCOPE = f"patient/Observation.rs?category={LAB}"
VITALS_SCOPE = f"patient/Observation.rs?category={VITALS}"


def grant(scopes: str, patient: str | None = "p1", fhir_user: str | None = None) -> GrantContext:
    return GrantContext(ScopeSet.from_strings(scopes.split()), patient, fhir_user)


def call(text: str, **kwargs: object) -> FhirRequest:
    """``"GET Observation?code=x"``: the URL is relative to the FHIR base, query encoded."""
    method, _, url = text.partition(" ")
    return parse_url(method, url, **kwargs)


def judge(scopes: str, text: str, patient: str | None = "p1", fhir_user: str | None = None,
          **kwargs: object) -> Decision:
    return decide(grant(scopes, patient, fhir_user), call(text, **kwargs))
