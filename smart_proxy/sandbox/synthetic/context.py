"""Shared state and small FHIR builders for the synthetic data generator.

All randomness comes from the ``random.Random`` the caller seeds, and all dates are
offsets from :data:`REFERENCE_DATE`, so a seed always yields the same resources.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Json = dict[str, Any]

#: "Today" for the synthetic record; no wall clock is read.
REFERENCE_DATE = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-"


@dataclass
class Context:
    """The generator's state: the seeded RNG and the resources made so far."""

    rng: random.Random
    resources: list[Json] = field(default_factory=list)

    def add(self, resource: Json, updated: datetime, profile: str | None = None) -> Json:
        meta: Json = {"lastUpdated": instant(min(updated, REFERENCE_DATE))}
        if profile:
            meta["profile"] = [US_CORE + profile]
        meta.update(resource.pop("meta", {}))
        head = {"resourceType": resource.pop("resourceType"), "id": resource.pop("id")}
        stored = {**head, "meta": meta, **resource}
        self.resources.append(stored)
        return stored

    def days_ago(self, low: int, high: int) -> datetime:
        """A working-hours moment between ``low`` and ``high`` days before the reference."""
        day = REFERENCE_DATE - timedelta(days=self.rng.randint(low, high))
        return day.replace(hour=self.rng.randint(8, 16), minute=self.rng.choice((0, 15, 30, 45)))

    def pick(self, items: list[Any] | tuple[Any, ...]) -> Any:
        return self.rng.choice(items)


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def ref(resource_type: str, resource_id: str, display: str | None = None) -> Json:
    out: Json = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str) -> Json:
    return {"system": system, "code": code, "display": display}


def concept(system: str, code: str, display: str, text: str | None = None) -> Json:
    return {"coding": [coding(system, code, display)], "text": text or display}


def quantity(value: float, unit: str, code: str | None = None) -> Json:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
            "code": code or unit}


def narrative(text: str) -> Json:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escaped}</p></div>'}


@dataclass(frozen=True)
class Staff:
    """Ids of the shared, non-patient resources."""

    practitioners: tuple[str, ...]
    organizations: tuple[str, ...]
    locations: tuple[str, ...]
    medications: dict[str, str]  # story key → Medication id


@dataclass(frozen=True)
class Visit:
    id: str
    start: datetime
    end: datetime
    class_code: str
    practitioner: str
    location: str


@dataclass
class Record:
    """What the generator knows about one patient while building their chart."""

    patient_id: str
    display: str
    story: Any
    staff: Staff
    visits: list[Visit] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def next_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.patient_id}-{self.counters[prefix]}"

    def subject(self) -> Json:
        return ref("Patient", self.patient_id, self.display)
