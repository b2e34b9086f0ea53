"""The sandbox's CapabilityStatement (http://hl7.org/fhir/R4/capabilitystatement.html).

``GET [base]/metadata`` (http.html#capabilities) describes exactly what this server does:
every R4 resource type with read/vread/update/patch/delete/history/create/search, its search
parameters, the ``_include``/``_revinclude`` values it accepts, batch, transaction,
system history and ``Patient/$everything``.
"""

from __future__ import annotations

from typing import Any

from .params import COMMON, ParamType, params_for, reference_params
from .resource_types import RESOURCE_TYPES

Json = dict[str, Any]

FHIR_VERSION = "4.0.1"
SOFTWARE = {"name": "smart-proxy sandbox FHIR server", "version": "0.1.0"}
_INTERACTIONS = ("read", "vread", "update", "patch", "delete", "history-instance",
                 "history-type", "create", "search-type")
_SPEC = "http://hl7.org/fhir/SearchParameter"


def capability_statement(base: str) -> Json:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2024-06-01",
        "publisher": "smart-proxy",
        "kind": "instance",
        "software": SOFTWARE,
        "implementation": {"description": "Synthetic FHIR R4 sandbox", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [
            {
                "mode": "server",
                "resource": [_resource(t) for t in sorted(RESOURCE_TYPES)],
                "interaction": [{"code": c} for c in
                                ("transaction", "batch", "search-system", "history-system")],
                "searchParam": [_param(p.name, p.type, "Resource") for p in COMMON.values()],
                "operation": [{"name": "export", "definition": f"{_BULK}/export"}],
            }
        ],
    }


_BULK = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"


def _resource(resource_type: str) -> Json:
    params = params_for(resource_type)
    entry: Json = {
        "type": resource_type,
        "interaction": [{"code": code} for code in _INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "not-supported",
        "conditionalUpdate": True,
        "conditionalDelete": "single",
        "searchInclude": ["*"] + [f"{resource_type}:{p.name}"
                                  for p in reference_params(resource_type)],
        "searchRevInclude": ["*"],
        "searchParam": [_param(p.name, p.type, resource_type) for p in params.values()
                        if p.name not in COMMON],
    }
    if resource_type == "Patient":
        entry["operation"] = [{
            "name": "everything",
            "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
        }, {"name": "export", "definition": f"{_BULK}/patient-export"}]
    if resource_type == "Group":
        entry["operation"] = [{"name": "export", "definition": f"{_BULK}/group-export"}]
    if not entry["searchParam"]:
        del entry["searchParam"]
    return entry


def _param(name: str, kind: ParamType, resource_type: str) -> Json:
    return {"name": name, "definition": f"{_SPEC}/{resource_type}-{name.lstrip('_')}",
            "type": kind.value}
