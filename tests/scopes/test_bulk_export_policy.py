"""decide_export: grant scopes × export level × parameters × registry policy → decision."""

from __future__ import annotations

import pytest

from scopes.bulk_export import ExportLevel, ExportPolicy, decide_export, granted_for_export
from scopes.scopeset import ScopeSet

GROUP_ONLY = ExportPolicy(groups=frozenset({"g1", "g2"}))
EVERYONE = ExportPolicy(groups=frozenset({"g1"}), all_patients=True)
NOTHING = ExportPolicy()
DEMO = ("system/Patient.rs", "system/Observation.rs", "system/Condition.rs")
LAB = "system/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
G, P, S = ExportLevel.GROUP, ExportLevel.PATIENT, ExportLevel.SYSTEM


@pytest.mark.parametrize(
    ("scopes", "level", "group", "params", "policy", "status", "upstream"),
    [
        # who may export at all
        (DEMO, G, "g1", (), GROUP_ONLY, 200, (("_type", "Condition,Observation,Patient"),)),
        (("system/*.rs",), G, "g1", (), GROUP_ONLY, 200, ()),
        (("system/*.read",), G, "g1", (), GROUP_ONLY, 200, ()),
        (("system/*.r",), G, "g2", (), GROUP_ONLY, 200, ()),
        (("system/*.s",), G, "g1", (), GROUP_ONLY, 403, None),
        (("system/*.cud",), G, "g1", (), GROUP_ONLY, 403, None),
        (("patient/*.rs",), G, "g1", (), GROUP_ONLY, 403, None),
        (("user/*.rs",), G, "g1", (), GROUP_ONLY, 403, None),
        (("user/*.rs", "patient/*.rs"), G, "g1", (), EVERYONE, 403, None),
        ((), G, "g1", (), GROUP_ONLY, 403, None),
        # which Groups, which levels
        (DEMO, G, "g3", (), GROUP_ONLY, 404, None),
        (DEMO, G, "G1", (), GROUP_ONLY, 404, None),
        (DEMO, G, None, (), GROUP_ONLY, 404, None),
        (DEMO, G, "g1", (), NOTHING, 404, None),
        (DEMO, P, None, (), GROUP_ONLY, 403, None),
        (DEMO, S, None, (), GROUP_ONLY, 403, None),
        (DEMO, P, None, (), EVERYONE, 200, (("_type", "Condition,Observation,Patient"),)),
        (DEMO, S, None, (), EVERYONE, 200, (("_type", "Condition,Observation,Patient"),)),
        (DEMO, G, "g2", (), EVERYONE, 404, None),
        # _type: named types must all be granted; order and repetition kept once
        (DEMO, G, "g1", (("_type", "Observation"),), GROUP_ONLY, 200, (("_type", "Observation"),)),
        (DEMO, G, "g1", (("_type", "Patient,Observation"), ("_type", "Patient")), GROUP_ONLY, 200,
         (("_type", "Patient,Observation"),)),
        (DEMO, G, "g1", (("_type", "Encounter"),), GROUP_ONLY, 403, None),
        (DEMO, G, "g1", (("_type", "Observation,Encounter"),), GROUP_ONLY, 403, None),
        (DEMO, G, "g1", (("_type", "observation"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_type", "Observation,"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_type", ""),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_type", "Obs/../Patient"),), GROUP_ONLY, 400, None),
        (("system/*.rs",), G, "g1", (("_type", "Encounter"),), GROUP_ONLY, 200,
         (("_type", "Encounter"),)),
        ((LAB,), G, "g1", (), GROUP_ONLY, 200, (("_type", "Observation"),)),
        ((LAB, "system/Patient.rs"), G, "g1", (("_type", "Observation"),), GROUP_ONLY, 200,
         (("_type", "Observation"),)),
        # the other parameters
        (DEMO, G, "g1", (("_since", "2026-01-01T00:00:00Z"),), GROUP_ONLY, 200,
         (("_type", "Condition,Observation,Patient"), ("_since", "2026-01-01T00:00:00Z"))),
        (DEMO, G, "g1", (("_since", "2026-01-01T00:00:00.123+02:00"),), GROUP_ONLY, 200,
         (("_type", "Condition,Observation,Patient"), ("_since", "2026-01-01T00:00:00.123+02:00"))),
        (DEMO, G, "g1", (("_since", "2026-01-01"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_until", "x"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_since", "2026-01-01T00:00:00Z"),) * 2, GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_outputFormat", "ndjson"),), GROUP_ONLY, 200,
         (("_type", "Condition,Observation,Patient"), ("_outputFormat", "ndjson"))),
        (DEMO, G, "g1", (("_outputFormat", "application/fhir+json"),), GROUP_ONLY, 400, None),
        # patient= could name someone outside the Group: refused
        (DEMO, G, "g1", (("patient", "Patient/p1"),), GROUP_ONLY, 400, None),
        (DEMO, P, None, (("patient", "Patient/p1"),), EVERYONE, 400, None),
        (DEMO, G, "g1", (("_elements", "id,code"),), GROUP_ONLY, 200,
         (("_type", "Condition,Observation,Patient"), ("_elements", "id,code"))),
        (DEMO, G, "g1", (("_count", "10"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_has:Observation:patient:code", "x"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_format", "json"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("includeAssociatedData", "LatestProvenanceResources"),), GROUP_ONLY,
         200, (("_type", "Condition,Observation,Patient"),
               ("includeAssociatedData", "LatestProvenanceResources"))),
        # _typeFilter: a granted type and a query passing the search refusals
        (DEMO, G, "g1", (("_typeFilter", "Observation?status=final"),), GROUP_ONLY, 200,
         (("_type", "Condition,Observation,Patient"), ("_typeFilter", "Observation?status=final"))),
        (DEMO, G, "g1", (("_typeFilter", "Encounter?status=finished"),), GROUP_ONLY, 403, None),
        (DEMO, G, "g1", (("_typeFilter", "Observation?subject.name=x"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_typeFilter", "Observation?_has:Condition:subject:code=x"),),
         GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_typeFilter", "Observation"),), GROUP_ONLY, 400, None),
        (DEMO, G, "g1", (("_typeFilter", "?status=final"),), GROUP_ONLY, 400, None),
    ],
)
def test_decide_export(scopes: tuple[str, ...], level: ExportLevel, group: str | None,
                       params: tuple[tuple[str, str], ...], policy: ExportPolicy, status: int,
                       upstream: tuple[tuple[str, str], ...] | None) -> None:
    decision = decide_export(ScopeSet.from_strings(scopes), level, group, params, policy)
    assert decision.status == status, decision.message
    assert decision.allowed is (status == 200)
    if upstream is not None:
        assert decision.mutations.params == upstream


@pytest.mark.parametrize(
    ("scopes", "resource_type", "granted"),
    [
        (DEMO, "Observation", True),
        (DEMO, "Encounter", False),
        ((LAB,), "Observation", True),
        (("system/*.rs",), "Binary", True),
        (("system/*.s",), "Observation", False),
        (("patient/*.rs",), "Observation", False),
        (("user/Observation.rs",), "Observation", False),
    ],
)
def test_granted_for_export(scopes: tuple[str, ...], resource_type: str, granted: bool) -> None:
    assert granted_for_export(ScopeSet.from_strings(scopes), resource_type) is granted
