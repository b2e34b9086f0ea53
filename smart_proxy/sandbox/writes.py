"""create, update, patch and delete, plain and conditional.

- create (http.html#create): the server assigns the id and answers 201 with
  ``Location: [base]/Type/id/_history/1``; ``If-None-Exist`` makes it conditional
  (http.html#ccreate: no match creates, one match answers 200 with it, several 412).
- update (http.html#update): the body's id must equal the URL's (else 400); an unknown id
  is created (201); ``If-Match`` must name the current version (http.html#concurrency,
  else 412).  ``PUT Type?criteria`` is a conditional update (http.html#cond-update).
- patch (http.html#patch): JSON Patch only; it may not change ``id`` or ``resourceType``.
- delete (http.html#delete): 204, or 200 with an OperationOutcome when asked via
  ``Prefer: return=OperationOutcome``; ``DELETE Type?criteria`` deletes one match
  (conditionalDelete = single, several matches → 412).
- ``Prefer: return=minimal|representation|OperationOutcome`` shapes every successful
  write's body (http.html#ops).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ..json_patch import JSON_PATCH, PatchError, PatchFailed, apply_patch
from .bundles import version_headers
from .interaction import FhirCall, FhirResult, Route
from .outcome import FhirError, gone, invalid, not_found, operation_outcome
from .query import parse_query
from .reads import etag_matches
from .search import find
from .store import Payload, SandboxStore, Version, render

Json = dict[str, Any]


def create(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    resource_type = _type(route)
    resource, payload = _incoming(call, resource_type)
    condition = call.header("if-none-exist")
    if condition:
        existing = conditional_matches(store, call, resource_type, _criteria(condition))
        if len(existing) > 1:
            raise FhirError(412, f"If-None-Exist matched {len(existing)} resources",
                            code="multiple-matches")
        if existing:
            return _written(call, existing[0], 200, "Resource already exists; not created")
    resource_id = call.assigned_id or store.new_id(resource_type)
    version = store.write(resource, method="POST", resource_id=resource_id, payload=payload)
    return _written(call, version, 201, "Resource created")


def update(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    resource_type, resource_id = _type(route), str(route.id)
    resource, payload = _incoming(call, resource_type, resource_id)
    if resource.get("id") is None and call.raw is None:
        raise invalid("The resource must carry an id for update", expression="id")
    if call.raw is None and resource.get("id") != resource_id:
        raise invalid(f"Body id {resource.get('id')!r} does not match URL id {resource_id!r}",
                      expression="id")
    current = store.current(resource_type, resource_id)
    _check_if_match(call, current)
    version = store.write(resource, method="PUT", resource_id=resource_id, payload=payload)
    created = current is None or current.deleted
    return _written(call, version, 201 if created else 200,
                    "Resource created" if created else "Resource updated")


def conditional_update(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    resource_type = _type(route)
    found = conditional_matches(store, call, resource_type, call.params)
    if len(found) > 1:
        raise FhirError(412, f"Conditional update matched {len(found)} resources",
                        code="multiple-matches")
    resource, _ = _incoming(call, resource_type)
    body_id = resource.get("id")
    if found and body_id is not None and body_id != found[0].id:
        raise invalid(f"Body id {body_id!r} does not match the resource found ({found[0].id})")
    resource_id = found[0].id if found else (body_id or call.assigned_id or
                                               store.new_id(resource_type))
    return update(store, _with_id(call, resource, resource_id),
                  Route(route.kind, resource_type, str(resource_id)))


def patch(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    resource_type, resource_id = _type(route), str(route.id)
    operations = _patch_document(call)
    current = store.current(resource_type, resource_id)
    if current is None:
        raise not_found(resource_type, resource_id)
    if current.deleted:
        raise gone(resource_type, resource_id, current.etag)
    _check_if_match(call, current)
    try:
        patched = apply_patch(render(current), operations)
    except PatchFailed as exc:
        raise FhirError(422, str(exc), code="processing") from None
    except PatchError as exc:
        raise invalid(f"Invalid JSON Patch: {exc}") from None
    if not isinstance(patched, dict) or patched.get("resourceType") != resource_type \
            or patched.get("id") != resource_id:
        raise invalid("A patch may not change the resource's id or resourceType")
    version = store.write(patched, method="PATCH", resource_id=resource_id)
    return _written(call, version, 200, "Resource patched")


def delete(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    resource_type, resource_id = _type(route), str(route.id)
    current = store.current(resource_type, resource_id)
    if current is None:
        raise not_found(resource_type, resource_id)
    if current.deleted:
        return _deleted(call, current, "Resource was already deleted")
    _check_if_match(call, current)
    return _deleted(call, store.delete(resource_type, resource_id), "Resource deleted")


def conditional_delete(store: SandboxStore, call: FhirCall, route: Route) -> FhirResult:
    resource_type = _type(route)
    found = conditional_matches(store, call, resource_type, call.params)
    if len(found) > 1:
        raise FhirError(412, f"Conditional delete matched {len(found)} resources",
                        code="multiple-matches")
    if not found:
        return FhirResult(204, headers={})
    return delete(store, call, Route(route.kind, resource_type, found[0].id))


def conditional_matches(
    store: SandboxStore, call: FhirCall, resource_type: str, params: Any
) -> list[Version]:
    criteria = [(k, v) for k, v in params if k not in ("_format", "_pretty")]
    if not criteria:
        raise invalid("A conditional interaction needs search criteria")
    query = parse_query((resource_type,), criteria, base=call.base)
    return find(store, query, call.base)


def _criteria(header: str) -> list[tuple[str, str]]:
    """``If-None-Exist`` holds a query string, optionally prefixed with ``Type?``."""
    text = header.split("?", 1)[1] if "?" in header else header
    return parse_qsl(text, keep_blank_values=True)


def _type(route: Route) -> str:
    assert route.resource_type is not None
    return route.resource_type


def _incoming(
    call: FhirCall, resource_type: str, resource_id: str | None = None
) -> tuple[Json, Payload | None]:
    if call.raw is not None:
        if resource_type != "Binary":
            raise FhirError(415, f"{resource_type} must be sent as FHIR JSON")
        binary: Json = {"resourceType": "Binary", "contentType": call.raw.content_type}
        if resource_id:
            binary["id"] = resource_id
        if call.raw.security_context:
            binary["securityContext"] = {"reference": call.raw.security_context}
        return binary, call.raw.data
    body = call.body
    if not isinstance(body, dict):
        raise invalid("The request body must be a FHIR resource (a JSON object)")
    if body.get("resourceType") != resource_type:
        raise invalid(f"Expected a {resource_type} resource, got {body.get('resourceType')!r}",
                      expression="resourceType")
    return body, None


def _with_id(call: FhirCall, resource: Json, resource_id: str) -> FhirCall:
    if call.raw is not None:
        return call
    return replace(call, body={**resource, "id": resource_id})


def _patch_document(call: FhirCall) -> Any:
    content_type = (call.header("content-type") or "").split(";")[0].strip().lower()
    body = call.body
    if isinstance(body, dict) and body.get("resourceType") == "Binary":
        # In a Bundle, a JSON Patch travels as a Binary (http.html#patch).
        if body.get("contentType") != JSON_PATCH:
            raise FhirError(415, "Only JSON Patch (application/json-patch+json) is supported")
        try:
            return orjson.loads(base64.b64decode(body.get("data", ""), validate=True))
        except (binascii.Error, orjson.JSONDecodeError) as exc:
            raise invalid(f"Invalid JSON Patch in Binary.data: {exc}") from None
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        raise FhirError(415, "FHIRPath Patch is not supported; use JSON Patch")
    if content_type and content_type != JSON_PATCH:
        raise FhirError(415, f"PATCH with {content_type} is not supported; use {JSON_PATCH}")
    return body


def _check_if_match(call: FhirCall, current: Version | None) -> None:
    wanted = call.header("if-match")
    if not wanted:
        return
    if current is None or current.deleted or not etag_matches(wanted, current):
        have = current.etag if current is not None else "none"
        raise FhirError(412, f"If-Match {wanted} does not match the current version ({have})",
                        code="conflict")


def _written(call: FhirCall, version: Version, status: int, message: str) -> FhirResult:
    headers = version_headers(version)
    location = f"{version.key}/_history/{version.version_id}"
    preference = call.prefer.get("return")
    if preference is None and call.raw is not None:
        preference = "minimal"  # do not echo a raw upload back as base64
    if preference == "minimal":
        resource = None
    elif preference == "OperationOutcome":
        resource = operation_outcome(f"{message}: {location}")
    else:
        resource = render(version)
    return FhirResult(status, resource, headers, version, location)


def _deleted(call: FhirCall, version: Version, message: str) -> FhirResult:
    headers = {"ETag": version.etag}
    if call.prefer.get("return") == "OperationOutcome":
        return FhirResult(200, operation_outcome(message), headers, version)
    return FhirResult(204, headers=headers, version=version)
