"""Plain-language descriptions of scopes for the consent screen.

Sources:

- SMART App Launch 2.2.0, best-practices.html, "Considerations for Scope Consent": show short
  and long plain-language descriptions of each scope.
- scopes-and-launch-context.html, "Wildcard scopes": a ``*`` scope also covers resource types
  added in the future, and the user should be told so.
- "Scopes for requesting identity data", "... context data", "... a refresh token": the
  meaning of ``openid``, ``fhirUser``, ``launch*``, ``offline_access`` and ``online_access``.

Titles are short ("Your lab results"); details say what the app may do and to which records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from scopes.categories import (
    CONDITION_CATEGORIES,
    DOCUMENT_REFERENCE_CATEGORIES,
    OBSERVATION_CATEGORIES,
    Category,
    GranularChoice,
    category_of,
    granular_choices,
)
from scopes.grammar import PERMISSION_LETTERS, ResourceScope, Scope, SpecialScope

__all__ = [
    "CONDITION_CATEGORIES", "DOCUMENT_REFERENCE_CATEGORIES", "OBSERVATION_CATEGORIES",
    "RESOURCE_NOUNS", "SPECIAL_DESCRIPTIONS", "US_CORE_RESOURCE_TYPES", "Category",
    "GranularChoice", "ScopeDescription", "describe", "granular_choices", "resource_noun",
    "special_description",
]


@dataclass(frozen=True)
class ScopeDescription:
    title: str
    detail: str


RESOURCE_NOUNS: Mapping[str, str] = MappingProxyType({
    "AllergyIntolerance": "allergies and intolerances",
    "Binary": "attached files (documents and images)",
    "CarePlan": "care plans",
    "CareTeam": "care teams",
    "Condition": "health conditions and diagnoses",
    "Coverage": "insurance coverage",
    "Device": "implants and medical devices",
    "DiagnosticReport": "test and imaging reports",
    "DocumentReference": "clinical documents and notes",
    "Encounter": "visits and hospital stays",
    "Goal": "health goals",
    "Immunization": "immunizations (vaccines)",
    "Location": "places of care",
    "Medication": "medication details",
    "MedicationDispense": "pharmacy fills",
    "MedicationRequest": "medications",
    "Observation": "test results, vital signs and other observations",
    "Organization": "healthcare organizations",
    "Patient": "demographics (name, birth date, contact details)",
    "Practitioner": "doctors and other care providers",
    "PractitionerRole": "care providers' roles and contact details",
    "Procedure": "procedures and surgeries",
    "Provenance": "record history (who created or changed each record)",
    "QuestionnaireResponse": "questionnaire answers",
    "RelatedPerson": "caregivers and related people",
    "ServiceRequest": "orders and referrals",
    "Specimen": "lab samples",
})
US_CORE_RESOURCE_TYPES: tuple[str, ...] = tuple(sorted(RESOURCE_NOUNS))

SPECIAL_DESCRIPTIONS: Mapping[str, ScopeDescription] = MappingProxyType({
    "openid": ScopeDescription(
        "Know who you are", "The app is told which account you signed in with."),
    "fhirUser": ScopeDescription(
        "Know who you are in the health record",
        "The app learns which patient, provider or related-person record is you."),
    "profile": ScopeDescription(
        "See your basic profile", "The app can see your name as it appears in your account."),
    "launch": ScopeDescription(
        "Start from your health record system",
        "The app opens with the patient and visit already chosen in the health record system."),
    "launch/patient": ScopeDescription(
        "Know which patient's records to use",
        "The app is told which patient's records you chose to share."),
    "launch/encounter": ScopeDescription(
        "Know which visit is open", "The app is told which visit or hospital stay is in view."),
    "offline_access": ScopeDescription(
        "Keep access when you are not using the app (until you revoke it)",
        "The app can keep reading the records you allow without you being signed in, "
        "until you revoke its access."),
    "online_access": ScopeDescription(
        "Keep access while you are signed in",
        "The app can renew its access for as long as you stay signed in."),
})

_ACTIONS = {"c": "add to", "r": "read", "u": "change", "d": "delete", "s": "search"}
_WRITE_VERBS = {"c": "add", "u": "change", "d": "delete"}


def special_description(name: str) -> ScopeDescription:
    """The consent text for a non-resource scope; ``KeyError`` for an unknown name."""
    return SPECIAL_DESCRIPTIONS[name]


def resource_noun(resource_type: str) -> str:
    """``"medications"`` for MedicationRequest; ``"claim response records"`` for the rest."""
    if resource_type in RESOURCE_NOUNS:
        return RESOURCE_NOUNS[resource_type]
    words = re.findall(r"[A-Z][a-z]*", resource_type)
    return " ".join(word.lower() for word in words) + " records"


def describe(scope: Scope) -> ScopeDescription:
    """A short title and a longer detail sentence for one scope."""
    if isinstance(scope, SpecialScope):
        return special_description(scope.name)
    records = _records(scope)
    letters = [letter for letter in PERMISSION_LETTERS if letter in scope.permissions]
    writes = [_WRITE_VERBS[letter] for letter in letters if letter in _WRITE_VERBS]
    reads = bool(set(letters) & {"r", "s"})
    if not writes:
        title = records
    else:
        title = f"{'see and ' if reads else ''}{_join(writes)} {records}"
    actions = _join([_ACTIONS[letter] for letter in letters], "and")
    detail = f"The app can {actions} {records}"
    if not scope.is_wildcard:
        detail += f" (FHIR {scope.resource_type})"
    detail += "."
    if scope.filters and category_of(scope.resource_type, scope.filters) is None:
        written = ", ".join(f"{name}={value}" for name, value in scope.filters)
        detail += f" Only records matching {written}."
    return ScopeDescription(_capitalise(title), detail)


def _records(scope: ResourceScope) -> str:
    if scope.is_wildcard:
        whose = {"patient": "all of your health records",
                 "user": "all health records of patients you can see",
                 "system": "all health records of all patients"}[scope.context]
        return whose + ", including types added in the future"
    category = category_of(scope.resource_type, scope.filters)
    noun = category.noun if category else resource_noun(scope.resource_type)
    some = bool(scope.filters) and category is None
    if scope.context == "patient":
        return f"some of your {noun}" if some else f"your {noun}"
    whose = "of patients you can see" if scope.context == "user" else "of all patients"
    return f"{'some ' if some else ''}{noun} {whose}"


def _join(words: list[str], last: str = "or") -> str:
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:]
