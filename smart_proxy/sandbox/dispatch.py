"""Dispatching a :class:`FhirCall` to the interaction that serves it.

The table follows http://hl7.org/fhir/R4/http.html#summary.  ``HEAD`` is served as ``GET``
(the HTTP layer drops the body).  A method the route does not support answers 405.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from . import history, reads, transaction, writes
from .capability import capability_statement
from .compartment import compartment_search
from .everything import everything
from .interaction import FhirCall, FhirResult, Kind, Route, parse_route
from .outcome import FhirError, invalid
from .query import parse_query
from .resource_types import RESOURCE_TYPES
from .search import search_bundle
from .store import SandboxStore

Handler = Callable[[SandboxStore, FhirCall, Route], FhirResult]


def type_search(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    """``GET [base]/Type?...`` and ``POST [base]/Type/_search`` (search.html)."""
    resource_type = str(route.resource_type)
    query = parse_query((resource_type,), call.params, base=call.base, lenient=call.lenient)
    url = f"{call.base}/{resource_type}"
    return FhirResult(200, search_bundle(store, query, base=call.base, url=url))


def system_search(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    """``GET [base]?_type=A,B&...``: common parameters only, across types."""
    wanted = [t.strip() for k, v in call.params if k == "_type" for t in v.split(",")]
    unknown = sorted(set(wanted) - RESOURCE_TYPES)
    if unknown:
        raise invalid(f"Unknown resource type(s) in _type: {', '.join(unknown)}")
    types = tuple(dict.fromkeys(wanted)) or tuple(store.types())
    params = [(k, v) for k, v in call.params if k != "_type"]
    query = parse_query(types, params, base=call.base, lenient=call.lenient)
    if wanted:
        query = replace(query, link_params=(("_type", ",".join(types)), *query.link_params))
    return FhirResult(200, search_bundle(store, query, base=call.base, url=call.base))


def metadata(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    return FhirResult(200, capability_statement(call.base))


def bundle_post(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    return transaction.process(store, call, execute)


_TABLE: Mapping[Kind, Mapping[str, Handler]] = {
    Kind.SYSTEM: {"GET": system_search, "POST": bundle_post},
    Kind.CAPABILITY: {"GET": metadata},
    Kind.SYSTEM_HISTORY: {"GET": history.history},
    Kind.TYPE: {"GET": type_search, "POST": writes.create, "PUT": writes.conditional_update,
                "DELETE": writes.conditional_delete},
    Kind.TYPE_SEARCH: {"GET": type_search, "POST": type_search},
    Kind.TYPE_HISTORY: {"GET": history.history},
    Kind.INSTANCE: {"GET": reads.read, "PUT": writes.update, "PATCH": writes.patch,
                    "DELETE": writes.delete},
    Kind.INSTANCE_HISTORY: {"GET": history.history},
    Kind.VERSION: {"GET": reads.vread},
    Kind.COMPARTMENT: {"GET": compartment_search},
    Kind.OPERATION: {"GET": everything, "POST": everything},
}


def execute(store: SandboxStore, call: FhirCall) -> FhirResult:
    """Run one interaction; failures raise :class:`~.outcome.FhirError`."""
    route = parse_route(call.path)
    method = "GET" if call.method.upper() == "HEAD" else call.method.upper()
    handlers = _TABLE[route.kind]
    handler = handlers.get(method)
    if handler is None:
        allowed = ", ".join(sorted(handlers))
        raise FhirError(405, f"{method} is not allowed here (allowed: {allowed})",
                        headers={"Allow": allowed})
    return handler(store, call, route)
