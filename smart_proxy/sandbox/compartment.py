"""The Patient compartment: membership and compartment search.

A resource is in ``Patient/X``'s compartment when one of the parameters that
:data:`scopes.compartment.PATIENT_COMPARTMENT` names for its type refers to ``Patient/X``;
``Patient/X`` itself is in its own compartment
(http://hl7.org/fhir/R4/compartmentdefinition.html).  ``GET [base]/Patient/X/[type]?...``
searches ``[type]`` within that compartment (http://hl7.org/fhir/R4/http.html#vsearch);
``*`` searches every type of the compartment.
"""

from __future__ import annotations

from scopes.compartment import PATIENT_COMPARTMENT

from .includes import references_of
from .interaction import FhirCall, FhirResult, Route
from .outcome import invalid
from .query import parse_query
from .references import LocalRef
from .search import search_bundle
from .store import SandboxStore, Version


def compartment_types() -> tuple[str, ...]:
    return tuple(sorted(PATIENT_COMPARTMENT))


def in_patient_compartment(version: Version, patient_id: str, base: str) -> bool:
    resource = version.resource
    if resource is None:
        return False
    if version.resource_type == "Patient" and version.id == patient_id:
        return True
    patient = LocalRef("Patient", patient_id)
    return any(
        ref == patient
        for name in PATIENT_COMPARTMENT.get(version.resource_type, ())
        for ref in references_of(resource, version.resource_type, name, base)
    )


def compartment_search(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    """``GET [base]/Patient/[id]/[type]`` (http.html#vsearch, compartmentdefinition.html)."""
    target = str(route.target)
    if target != "*" and target not in PATIENT_COMPARTMENT:
        raise invalid(f"{target} is not in the Patient compartment")
    types = compartment_types() if target == "*" else (target,)
    query = parse_query(types, call.params, base=call.base, lenient=call.lenient)
    url = f"{call.base}/Patient/{route.id}/{target}"
    patient_id = str(route.id)

    def in_compartment(version: Version) -> bool:
        return in_patient_compartment(version, patient_id, call.base)

    bundle = search_bundle(store, query, base=call.base, url=url, scope=in_compartment)
    return FhirResult(200, bundle)
