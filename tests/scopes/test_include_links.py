"""Includes stay only beside the matches they belong to, once a match was removed."""

from __future__ import annotations

from typing import Any

import pytest

from scopes.include_links import linked_includes


def res(kind: str, rid: str, *refs: str) -> dict[str, Any]:
    return {"resourceType": kind, "id": rid,
            "extension": [{"valueReference": {"reference": r}} for r in refs]}


def match(resource: dict[str, Any]) -> dict[str, Any]:
    return {"resource": resource, "search": {"mode": "match"}}


def include(resource: dict[str, Any]) -> dict[str, Any]:
    return {"resource": resource, "search": {"mode": "include"}}


def names(entries: list[dict[str, Any]]) -> list[str]:
    return [e["resource"]["id"] for e in entries]


@pytest.mark.parametrize(
    ("entries", "kept"),
    [
        # _include: kept when a kept match points at it
        ([match(res("Condition", "c1", "Patient/p1")), include(res("Patient", "p1"))],
         ["c1", "p1"]),
        ([match(res("Condition", "c1", "https://x/fhir/Patient/p1/_history/2")),
          include(res("Patient", "p1"))], ["c1", "p1"]),
        ([match(res("Condition", "c1", "Patient/p1")), include(res("Practitioner", "dr"))],
         ["c1"]),
        # _revinclude: kept when it points at a kept match
        ([match(res("Condition", "c1")), include(res("Provenance", "pv", "Condition/c1"))],
         ["c1", "pv"]),
        ([match(res("Condition", "c1")), include(res("Provenance", "pv", "Condition/c9"))],
         ["c1"]),
        # :iterate: linked through another kept include
        ([match(res("MedicationRequest", "m1", "Medication/med")),
          include(res("Medication", "med", "Organization/maker")),
          include(res("Organization", "maker"))], ["m1", "med", "maker"]),
        ([match(res("MedicationRequest", "m1")),
          include(res("Medication", "med", "Organization/maker")),
          include(res("Organization", "maker"))], ["m1"]),
        # no match left: no include stays
        ([include(res("Patient", "p1")), include(res("Provenance", "pv", "Patient/p1"))], []),
        # outcome entries anchor like matches; entries without a mode are matches
        ([{"resource": res("OperationOutcome", "oo")}, include(res("Patient", "p1"))], ["oo"]),
        ([{"resource": res("Condition", "c1", "Patient/p1")}, include(res("Patient", "p1"))],
         ["c1", "p1"]),
    ],
)
def test_linked_includes(entries: list[dict[str, Any]], kept: list[str]) -> None:
    assert names(linked_includes(entries)) == kept
