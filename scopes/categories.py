"""US Core granular scope categories, as data, with the labels the consent screen shows.

Sources:

- US Core 7.0.0, "SMART on FHIR Obligations and Capabilities" (scopes.html and
  ``input/data/scopes.csv``): the granular scopes a server SHALL support are the Condition
  categories ``encounter-diagnosis``, ``problem-list-item`` (condition-category) and
  ``health-concern`` (US Core condition-category), and the Observation categories
  ``laboratory``, ``social-history``, ``vital-signs``, ``survey`` (observation-category) and
  ``sdoh`` (us-core-category).  ``DocumentReference`` ``clinical-note`` is a SHOULD; the others
  listed here are MAY or unrated in ``scopes.csv`` and are kept only to label scopes.
- ONC (g)(10) "Clinical Test" sub-resource attestation: US Core has no "Clinical Test"
  category, so it is the ``procedure`` code of observation-category.
- SMART App Launch 2.2.0, scopes-and-launch-context.html, "Finer-grained resource constraints
  using search parameters": a category scope is ``<Type>.rs?category=<system>|<code>``.

``offered`` marks the categories the consent screen offers as sub-choices of a resource-level
Condition, Observation or DocumentReference scope ((g)(10) granular scope selection).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from scopes.granular import Filter, Filters

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
US_CORE_CONDITION_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
US_CORE_DOCUMENT_CATEGORY = (
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
)


@dataclass(frozen=True)
class Category:
    """One ``category`` code usable in a granular scope, with a plain-language noun."""

    system: str
    code: str
    noun: str
    offered: bool = False

    @property
    def label(self) -> str:
        return self.noun[0].upper() + self.noun[1:]

    @property
    def scope_filter(self) -> Filter:
        """The ``("category", "system|code")`` pair, written exactly as US Core writes it."""
        return ("category", f"{self.system}|{self.code}")


@dataclass(frozen=True)
class GranularChoice:
    """A sub-choice the consent screen offers in place of a resource-level scope."""

    scope_filter: Filter
    label: str


OBSERVATION_CATEGORIES: tuple[Category, ...] = (
    Category(OBSERVATION_CATEGORY, "laboratory", "lab results", offered=True),
    Category(OBSERVATION_CATEGORY, "vital-signs", "vital signs", offered=True),
    Category(OBSERVATION_CATEGORY, "social-history", "social history", offered=True),
    Category(OBSERVATION_CATEGORY, "survey", "survey and questionnaire answers", offered=True),
    Category(US_CORE_CATEGORY, "sdoh", "social needs (social determinants of health)",
             offered=True),
    Category(OBSERVATION_CATEGORY, "procedure", "clinical test results", offered=True),
    Category(OBSERVATION_CATEGORY, "imaging", "imaging results"),
    Category(OBSERVATION_CATEGORY, "exam", "physical exam findings"),
    Category(OBSERVATION_CATEGORY, "therapy", "therapy results"),
    Category(OBSERVATION_CATEGORY, "activity", "physical activity"),
    Category(US_CORE_CATEGORY, "functional-status", "functional status"),
    Category(US_CORE_CATEGORY, "disability-status", "disability status"),
    Category(US_CORE_CATEGORY, "cognitive-status", "cognitive status"),
    Category(US_CORE_CATEGORY, "treatment-intervention-preference", "treatment preferences"),
    Category(US_CORE_CATEGORY, "care-experience-preference", "care experience preferences"),
)

CONDITION_CATEGORIES: tuple[Category, ...] = (
    Category(CONDITION_CATEGORY, "problem-list-item", "problem list", offered=True),
    Category(CONDITION_CATEGORY, "encounter-diagnosis", "diagnoses from visits (encounter "
             "diagnoses)", offered=True),
    Category(US_CORE_CONDITION_CATEGORY, "health-concern", "health concerns", offered=True),
)

DOCUMENT_REFERENCE_CATEGORIES: tuple[Category, ...] = (
    Category(US_CORE_DOCUMENT_CATEGORY, "clinical-note", "clinical notes", offered=True),
)

CATEGORIES: Mapping[str, tuple[Category, ...]] = MappingProxyType({
    "Observation": OBSERVATION_CATEGORIES,
    "Condition": CONDITION_CATEGORIES,
    "DocumentReference": DOCUMENT_REFERENCE_CATEGORIES,
})


def granular_choices(resource_type: str) -> tuple[GranularChoice, ...]:
    """The category sub-choices to offer for ``resource_type`` (none for most types)."""
    return tuple(
        GranularChoice(category.scope_filter, category.label)
        for category in CATEGORIES.get(resource_type, ())
        if category.offered
    )


def category_of(resource_type: str, filters: Filters) -> Category | None:
    """The known category when ``filters`` is exactly one ``category`` filter we can name."""
    if len(filters) != 1:
        return None
    for category in CATEGORIES.get(resource_type, ()):
        if category.scope_filter == filters[0]:
            return category
    return None
