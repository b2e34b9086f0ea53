"""Search parameter definitions: which names a type supports, their type, their paths.

Three sources, in order: the parameters common to all resources
(http://hl7.org/fhir/R4/resource.html#search), the per-type tables in
:mod:`.params_directory` and :mod:`.params_clinical`, and for any other type in the R4
Patient compartment the compartment's reference parameters (so ``Consent?patient=`` and
``Patient/1/Consent`` work for every type the compartment names, generated or not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType

from scopes.compartment import PATIENT_COMPARTMENT

from .params_clinical import CLINICAL
from .params_directory import DIRECTORY


class ParamType(StrEnum):
    """Search parameter types (http://hl7.org/fhir/R4/search.html#ptypes) implemented here."""

    TOKEN = "token"
    STRING = "string"
    DATE = "date"
    REFERENCE = "reference"
    URI = "uri"


@dataclass(frozen=True, slots=True)
class SearchParam:
    name: str
    type: ParamType
    paths: tuple[str, ...]
    targets: tuple[str, ...] = ()

    def accepts_target(self, resource_type: str) -> bool:
        return not self.targets or resource_type in self.targets


COMMON: Mapping[str, SearchParam] = MappingProxyType(
    {
        "_id": SearchParam("_id", ParamType.TOKEN, ("id",)),
        "_lastUpdated": SearchParam("_lastUpdated", ParamType.DATE, ("meta.lastUpdated",)),
        "_tag": SearchParam("_tag", ParamType.TOKEN, ("meta.tag",)),
        "_security": SearchParam("_security", ParamType.TOKEN, ("meta.security",)),
        "_profile": SearchParam("_profile", ParamType.URI, ("meta.profile",)),
        "_source": SearchParam("_source", ParamType.URI, ("meta.source",)),
    }
)


#: Element paths of Patient-compartment parameters, for types without a parameter table,
#: where the element is not the camel-cased parameter name (R4 SearchParameter expressions).
COMPARTMENT_PATHS: dict[tuple[str, str], str] = {
    ("Appointment", "actor"): "participant.actor",
    ("AuditEvent", "patient"): "agent.who,entity.what",
    ("Basic", "patient"): "subject",
    ("CareTeam", "patient"): "subject",
    ("EnrollmentRequest", "subject"): "candidate",
    ("Flag", "patient"): "subject",
    ("ImagingStudy", "patient"): "subject",
    ("Invoice", "patient"): "subject",
    ("MeasureReport", "patient"): "subject",
    ("MedicationAdministration", "patient"): "subject",
    ("MedicationDispense", "patient"): "subject",
    ("Person", "patient"): "link.target",
    ("RequestGroup", "participant"): "action.participant",
    ("SupplyRequest", "subject"): "deliverTo",
}

TABLE: Mapping[str, str] = MappingProxyType({**DIRECTORY, **CLINICAL})


def _parse_table(text: str) -> dict[str, SearchParam]:
    params: dict[str, SearchParam] = {}
    for line in text.strip().splitlines():
        if not line.strip():
            continue
        name, kind, paths, *targets = line.split()
        params[name] = SearchParam(
            name,
            ParamType(kind),
            tuple(paths.split(",")),
            tuple(targets[0].split(",")) if targets else (),
        )
    return params


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)


def _compartment_params(resource_type: str) -> dict[str, SearchParam]:
    params: dict[str, SearchParam] = {}
    for name in PATIENT_COMPARTMENT.get(resource_type, ()):
        paths = COMPARTMENT_PATHS.get((resource_type, name), _camel(name))
        targets = ("Patient",) if name == "patient" else ()
        params[name] = SearchParam(name, ParamType.REFERENCE, tuple(paths.split(",")), targets)
    return params


@cache
def params_for(resource_type: str) -> Mapping[str, SearchParam]:
    """Every search parameter of ``resource_type``, by name."""
    params = dict(COMMON)
    if resource_type in TABLE:
        params.update(_parse_table(TABLE[resource_type]))
    else:
        params.update(_compartment_params(resource_type))
    return MappingProxyType(params)


def lookup(resource_type: str, name: str) -> SearchParam | None:
    return params_for(resource_type).get(name)


def reference_params(resource_type: str) -> list[SearchParam]:
    return [p for p in params_for(resource_type).values() if p.type is ParamType.REFERENCE]
