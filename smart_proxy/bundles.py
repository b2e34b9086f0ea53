"""Batch and transaction Bundles POSTed to the base (R4 http.html#transaction, bundle.html).

SMART App Launch 2.2 "Batches and Transactions" and peer-gateways.md (c) 10: there is no
bundle scope; every entry is judged as the request it stands for
(``scopes.bundle_requests``, at most ``MAX_BUNDLE_ENTRIES``) and, when it writes, checked
like one (``smart_proxy.writes``: body rule, stored read, ``ifMatch`` pin).

- transaction (atomic): a refused entry refuses the whole Bundle with that entry's status,
  and nothing is sent upstream.  ``urn:uuid:`` references resolve to the entry with that
  ``fullUrl``: to a Patient entry they are a violation, to another entry they are fine.
  Under a ``patient/`` grant no write entry may carry a Patient resource, since the
  transaction's own references could then point at it.
- batch: a refused entry gets its own error entry (``response.status`` and an
  OperationOutcome in ``response.outcome``) and is not forwarded; a search the decision
  answers empty gets an empty searchset; the rest go upstream as one batch, and the
  answers are merged back in the original order.
- what goes upstream is rebuilt from what was checked: each entry's narrowed query and
  ``ifNoneExist``, its pinned ``ifMatch``, the resource as parsed; nothing else of the app's.
- every answer entry that carries a resource passes that entry's own post-check
  (``enforce.answer_hooks``): a single resource that fails becomes ``404 Not Found``;
  searchsets are filtered and their paging links become signed cursors.
- under a patient grant (DESIGN decision 6: absent and not yours alike) a read entry is
  forwarded without ``ifNoneMatch``/``ifModifiedSince`` (a ``304`` would say "exists, at
  this version" of a record the grant does not reach), and an answer entry with status
  ``404``, ``410`` or ``304`` becomes the same ``404`` entry a record that is not the
  grant's gets (``error_entry(NotFound())``), whatever the upstream wrote in it; a Bundle
  the upstream answers with ``404``/``410`` as a whole becomes the proxy's own ``404``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import orjson
from aiohttp import web
from multidict import CIMultiDict

from scopes.bundle_requests import EntryError, decide_bundle, parse_bundle
from scopes.decision import Decision
from scopes.interaction import Interaction
from scopes.request import FhirRequest, RequestError
from scopes.write_checks import transaction_targets

from .enforce import answer_hooks, upstream_query
from .gate import grant_context
from .grants import Grant
from .json_patch import JSON_PATCH
from .keys import CONFIG, REWRITER, UPSTREAM
from .outcome import (
    FHIR_JSON,
    NO_STORE,
    BadGateway,
    BadRequest,
    FhirError,
    Forbidden,
    NotFound,
    error_for_status,
    outcome_resource,
)
from .proxy.forward import relay
from .writes import WriteChecks, inspected, pin, write_checks

_KEPT_CONDITIONS = ("ifNoneMatch", "ifModifiedSince")
_UNIFORM_STATUSES = frozenset({"404", "410", "304"})
_APP_CONDITIONS = ("If-Match", "If-None-Match", "If-Modified-Since", "If-None-Exist")


@dataclass
class _Entry:
    decision: Decision | None = None
    original: dict[str, Any] = field(default_factory=dict)
    forward: dict[str, Any] | None = None
    answer: dict[str, Any] | None = None


async def handle_bundle(
    request: web.Request, grant: Grant, body: bytes | None, headers: CIMultiDict[str]
) -> web.StreamResponse:
    """``POST [base]`` with a batch or transaction (module docstring)."""
    try:
        document = orjson.loads(body or b"")
        parsed = parse_bundle(document)
    except (orjson.JSONDecodeError, RequestError) as exc:
        raise BadRequest(f"POST to the base needs a batch or transaction Bundle: {exc}") from None
    kind = parsed.kind
    decided = decide_bundle(grant_context(request, grant), parsed.entries, kind)
    if not decided.allowed:
        refusal = error_for_status(decided.status, decided.message)
        where = decided.message.split(":", 1)[0] if decided.message.startswith("entry ") else ""
        raise type(refusal)(f"{where}: {refusal.message}" if where else refusal.message)
    app = request.app
    raw_entries = document.get("entry", [])
    internal = transaction_targets(raw_entries) if kind == "transaction" else None
    checks = write_checks(request, grant, headers)
    entries: list[_Entry] = []
    for index, (raw, entry, decision) in enumerate(
            zip(raw_entries, parsed.entries, decided.entries, strict=True)):
        try:
            entries.append(await _plan(checks, raw, entry, decision, internal))
        except FhirError as exc:
            if kind == "transaction":
                raise type(exc)(f"entry {index}: {exc.message}") from None
            entries.append(_Entry(answer=error_entry(exc)))
    forwarded = [entry for entry in entries if entry.forward is not None]
    if not forwarded:
        return _respond(kind, entries)
    outgoing = {"resourceType": "Bundle", "type": kind, "entry": [e.forward for e in forwarded]}
    upstream_headers = CIMultiDict(headers)
    for name in _APP_CONDITIONS:
        upstream_headers.popall(name, None)
    upstream_headers["Content-Type"] = FHIR_JSON

    def merge(answer: Any) -> Any:
        if isinstance(answer, dict) and answer.get("resourceType") == "OperationOutcome":
            return answer  # the upstream refused the Bundle as a whole
        answers = answer.get("entry") if isinstance(answer, dict) else None
        if (not isinstance(answers, list) or answer.get("type") != f"{kind}-response"
                or len(answers) != len(forwarded)):
            raise BadGateway("The FHIR server's answer does not match the Bundle sent.")
        for entry, returned in zip(forwarded, answers, strict=True):
            entry.answer = _post_checked(request, grant, entry, returned)
        answer["entry"] = [entry.answer for entry in entries]
        return answer

    upstream = app[UPSTREAM]
    confined = any(entry.decision is not None and _confined(entry.decision) for entry in forwarded)
    return await relay(
        request, upstream, upstream.url_for(""), upstream_headers, orjson.dumps(outgoing),
        app[REWRITER], app[CONFIG].limits.max_inspected_body_bytes,
        on_document=merge, require_json=True, uniform_absence=confined,
    )


async def _plan(
    checks: WriteChecks, raw: Mapping[str, Any], entry: FhirRequest | EntryError,
    decision: Decision, internal: Mapping[str, str] | None,
) -> _Entry:
    """What to send upstream for one entry, after its checks; raises its refusal."""
    if isinstance(entry, EntryError) or not decision.allowed:
        raise error_for_status(decision.status, decision.message)
    if decision.mutations.empty_result:
        empty = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
        return _Entry(answer={"resource": empty, "response": {"status": "200 OK"}})
    asked = raw["request"]
    path = str(asked["url"]).partition("?")[0]
    query = upstream_query(decision)
    sent: dict[str, Any] = {"method": entry.method, "url": path + (f"?{query}" if query else "")}
    for name in () if _confined(decision) else _KEPT_CONDITIONS:
        if isinstance(asked.get(name), str):
            sent[name] = asked[name]
    if decision.mutations.if_none_exist is not None:
        sent["ifNoneExist"] = decision.mutations.if_none_exist
    forward: dict[str, Any] = {"request": sent}
    if isinstance(raw.get("fullUrl"), str):
        forward["fullUrl"] = raw["fullUrl"]
    interaction = entry.interaction
    if internal is not None and _confined(decision) and interaction in _INSTANCE_READS:
        await checks.readable(decision, str(entry.resource_type), str(entry.resource_id))
    if interaction is not None and interaction.is_write:
        resource = entry.body
        if_match = asked.get("ifMatch") if isinstance(asked.get("ifMatch"), str) else None
        if internal is not None and decision.body_rule is not None and isinstance(
                resource, Mapping) and resource.get("resourceType") == "Patient":
            raise Forbidden("A transaction of a patient-context app cannot carry a Patient.")
        if inspected(decision):
            patch = interaction is Interaction.PATCH
            content = _patch_operations(resource) if patch else resource
            pinned = await checks.check(entry, decision, content, query, internal)
            if_match = pin([if_match] if if_match is not None else [], pinned.version)
            if pinned.instance is not None:
                sent["url"] = f"{entry.resource_type}/{pinned.instance}"
            resource = _patch_binary(content) if patch else content
        if if_match is not None:
            sent["ifMatch"] = if_match
        if resource is not None and interaction is not Interaction.DELETE:
            forward["resource"] = resource
    segments = [unquote(part) for part in path.split("/")] if path else []
    original = {"method": entry.method, "segments": segments,
                "params": [list(pair) for pair in entry.params]}
    return _Entry(decision, original, forward)


def _post_checked(
    request: web.Request, grant: Grant, entry: _Entry, returned: Any
) -> dict[str, Any]:
    if not isinstance(returned, dict):
        raise BadGateway("The FHIR server's answer holds a malformed entry.")
    if entry.decision is not None and _confined(entry.decision) and (
            _status_code(returned) in _UNIFORM_STATUSES):
        return error_entry(NotFound())  # SECURITY: absent reads like not yours (decision 6)
    resource = returned.get("resource")
    if resource is None or entry.decision is None:
        return returned
    hook = answer_hooks(request, grant, entry.decision, entry.original)
    try:
        returned["resource"] = hook(resource)
    except NotFound as exc:
        return error_entry(exc)
    return returned


_INSTANCE_READS = (Interaction.READ, Interaction.VREAD, Interaction.HISTORY_INSTANCE)


def _confined(decision: Decision) -> bool:
    return decision.post_checks.confine_to_patient is not None


def _status_code(returned: dict[str, Any]) -> str:
    """The three digits of ``response.status`` ("404", "404 Not Found"); "" if unreadable."""
    response = returned.get("response")
    status = response.get("status") if isinstance(response, dict) else None
    return status.strip()[:3] if isinstance(status, str) else ""


def error_entry(error: FhirError) -> dict[str, Any]:
    """A batch-response entry for a refused entry (R4 bundle.html#transaction-response)."""
    status = f"{error.status} {HTTPStatus(error.status).phrase}"
    return {"response": {"status": status,
                         "outcome": outcome_resource(error.issue_code, error.message)}}


def _respond(kind: str, entries: list[_Entry]) -> web.Response:
    bundle = {"resourceType": "Bundle", "type": f"{kind}-response",
              "entry": [entry.answer for entry in entries]}
    return web.Response(body=orjson.dumps(bundle), content_type=FHIR_JSON, charset="utf-8",
                        headers=NO_STORE)


def _patch_operations(resource: object) -> Any:
    """R4 http.html#patch: in a Bundle, a JSON Patch travels as a Binary."""
    media = resource.get("contentType") if isinstance(resource, Mapping) else None
    if not isinstance(media, str) or media.split(";", 1)[0].strip().lower() != JSON_PATCH:
        raise BadRequest("A PATCH entry carries its JSON Patch as a Binary of "
                         f"contentType {JSON_PATCH}.")
    try:
        return orjson.loads(base64.b64decode(str(resource.get("data", "")), validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise BadRequest("The Binary of a PATCH entry does not hold a JSON Patch.") from None


def _patch_binary(operations: Any) -> dict[str, Any]:
    data = base64.b64encode(orjson.dumps(operations)).decode("ascii")
    return {"resourceType": "Binary", "contentType": JSON_PATCH, "data": data}
