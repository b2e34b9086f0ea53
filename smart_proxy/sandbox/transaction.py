"""batch and transaction (http://hl7.org/fhir/R4/http.html#transaction).

A ``batch`` runs each entry on its own; each gets a response entry with its status,
location, etag and, on failure, an OperationOutcome.  A ``transaction`` is atomic: the
entries run in the order DELETE, POST, PUT/PATCH, GET (http.html#trules); ``urn:uuid:``
full URLs of created resources are resolved to the ids the server assigns, in every
reference and in narrative (bundle.html#references); conditional references
(``Patient?identifier=...``) must match exactly one resource; and if any entry fails,
every change is undone and the answer is that entry's error.  Both run synchronously, so
no other request interleaves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from .bundles import bundle, full_url, response_block, status_line
from .interaction import FhirCall, FhirResult, Kind, parse_route
from .outcome import FhirError, invalid
from .query import parse_query
from .references import rewrite_references, rewrite_strings
from .search import find
from .store import SandboxStore, Version

Json = dict[str, Any]
Execute = Callable[[SandboxStore, FhirCall], FhirResult]

_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
#: Elements of type uri/url/uuid/oid/canonical, where placeholders are replaced as well
#: (http.html#trules); a plain string such as ``Identifier.value`` is left alone.
_URI_SUFFIXES = ("Uri", "Url", "Uuid", "Oid", "Canonical")
_HEADERS = {"ifMatch": "if-match", "ifNoneMatch": "if-none-match",
            "ifNoneExist": "if-none-exist", "ifModifiedSince": "if-modified-since"}


@dataclass(frozen=True)
class Entry:
    index: int
    full_url: str | None
    call: FhirCall


def process(store: SandboxStore, call: FhirCall, execute: Execute) -> FhirResult:
    body = call.body
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise invalid("POST to the base expects a Bundle of type batch or transaction")
    kind = body.get("type")
    raw_entries = body.get("entry", [])
    if kind not in ("batch", "transaction") or not isinstance(raw_entries, list):
        raise invalid(f"Bundle.type must be batch or transaction, got {kind!r}")
    if kind == "batch":
        return FhirResult(200, _batch(store, call, raw_entries, execute))
    return FhirResult(200, _transaction(store, call, raw_entries, execute))


def _batch(store: SandboxStore, outer: FhirCall, raw: list[Any], execute: Execute) -> Json:
    responses = []
    for index, item in enumerate(raw):
        try:
            entry = _entry(outer, index, item)
            responses.append(_response(outer, execute(store, entry.call)))
        except FhirError as err:
            block = {"status": status_line(err.status), "outcome": err.outcome()}
            responses.append({"response": block})
    return bundle("batch-response", entries=responses)


def _transaction(store: SandboxStore, outer: FhirCall, raw: list[Any], execute: Execute) -> Json:
    entries = [_entry(outer, index, item) for index, item in enumerate(raw)]
    mark = store.mark()
    try:
        entries = _resolve(store, outer, entries)
        results: dict[int, FhirResult] = {}
        for entry in sorted(entries, key=lambda e: (_ORDER[e.call.method], e.index)):
            try:
                results[entry.index] = execute(store, entry.call)
            except FhirError as err:
                raise FhirError(
                    err.status,
                    f"Transaction failed at entry {entry.index} "
                    f"({entry.call.method} {entry.call.path}): {err.diagnostics}",
                    code=err.code, expression=f"Bundle.entry[{entry.index}]",
                ) from err
    except BaseException:
        store.rollback(mark)
        raise
    responses = [_response(outer, results[e.index]) for e in entries]
    return bundle("transaction-response", entries=responses)


def _entry(outer: FhirCall, index: int, item: Any) -> Entry:
    where = f"Bundle.entry[{index}]"
    request = item.get("request") if isinstance(item, dict) else None
    if not isinstance(request, dict):
        raise invalid(f"{where} has no request", expression=where)
    method, url = str(request.get("method", "")).upper(), request.get("url")
    if method not in _ORDER or not isinstance(url, str) or not url:
        raise invalid(f"{where}.request needs a method and a url", expression=where)
    if "://" in url:
        if not url.startswith(outer.base + "/"):
            raise invalid(f"{where}.request.url is not on this server: {url}")
        url = url[len(outer.base) + 1:]
    path, _, query = url.lstrip("/").partition("?")
    try:
        route = parse_route(path)
    except FhirError as err:
        raise FhirError(err.status, f"{where}: {err.diagnostics}", code=err.code,
                        expression=where) from None
    if route.kind is Kind.SYSTEM and method != "GET":
        raise invalid(f"{where}: a batch or transaction cannot be nested", expression=where)
    headers = {h: str(request[k]) for k, h in _HEADERS.items() if request.get(k)}
    if outer.header("prefer"):
        headers["prefer"] = str(outer.header("prefer"))
    call = FhirCall(method, path, outer.base, tuple(parse_qsl(query, keep_blank_values=True)),
                    headers, item.get("resource"))
    full = item.get("fullUrl")
    return Entry(index, full if isinstance(full, str) else None, call)


def _resolve(store: SandboxStore, outer: FhirCall, entries: list[Entry]) -> list[Entry]:
    """Allocate ids for new resources and rewrite urn: and conditional references."""
    mapping: dict[str, str] = {}
    prepared = []
    for entry in entries:
        call, target = _allocate(store, outer, entry.call)
        if entry.full_url and target and entry.full_url.startswith("urn:"):
            mapping[entry.full_url] = target
        prepared.append((entry, call, target))
    _refuse_duplicates([t for _, c, t in prepared if t and c.method != "GET"])

    def placeholder(key: str, text: str) -> str | None:
        if key == "div" and "urn:" in text:
            for urn, target in mapping.items():
                text = text.replace(f'"{urn}"', f'"{target}"')
            return text
        if text in mapping and (key in ("reference", "url") or key.endswith(_URI_SUFFIXES)):
            return mapping[text]
        return None

    def conditional(reference: str) -> str | None:
        if "?" not in reference or "://" in reference:
            return None
        return _conditional_reference(store, outer, reference)

    resolved = []
    for entry, call, _ in prepared:
        body = rewrite_references(rewrite_strings(call.body, placeholder), conditional)
        resolved.append(Entry(entry.index, entry.full_url, replace(call, body=body)))
    return resolved


def _allocate(store: SandboxStore, outer: FhirCall, call: FhirCall) -> tuple[FhirCall, str | None]:
    """The entry's call (with a pre-assigned id if it creates) and the resource it writes."""
    route = parse_route(call.path)
    resource_type = str(route.resource_type)
    if route.kind is Kind.INSTANCE and call.method in ("PUT", "PATCH", "DELETE"):
        return call, f"{resource_type}/{route.id}"
    if route.kind is not Kind.TYPE or call.method not in ("POST", "PUT"):
        return call, None
    criteria = call.params if call.method == "PUT" else \
        parse_qsl((call.header("if-none-exist") or "").rpartition("?")[2])
    found = _matches(store, outer, resource_type, criteria) if criteria else []
    if len(found) == 1:
        return call, found[0].key
    if found:
        return call, None  # several matches: the interaction itself answers 412
    body_id = call.body.get("id") if isinstance(call.body, dict) else None
    new_id = body_id if call.method == "PUT" and body_id else store.new_id(resource_type)
    return replace(call, assigned_id=str(new_id)), f"{resource_type}/{new_id}"


def _conditional_reference(store: SandboxStore, outer: FhirCall, text: str) -> str:
    resource_type, _, query = text.partition("?")
    found = _matches(store, outer, resource_type, parse_qsl(query, keep_blank_values=True))
    if len(found) != 1:
        raise FhirError(412, f"Conditional reference {text!r} matched {len(found)} resources",
                        code="multiple-matches" if found else "not-found")
    return found[0].key


def _matches(
    store: SandboxStore, outer: FhirCall, resource_type: str, params: Any
) -> list[Version]:
    if not params:
        raise invalid(f"Conditional criteria for {resource_type} are empty")
    return find(store, parse_query((resource_type,), params, base=outer.base), outer.base)


def _refuse_duplicates(targets: list[str]) -> None:
    seen: set[str] = set()
    for target in targets:
        if target in seen:
            raise invalid(f"More than one entry of the transaction writes {target}")
        seen.add(target)


def _response(outer: FhirCall, result: FhirResult) -> Json:
    entry: Json = {}
    version = result.version
    if version is not None and not version.deleted:
        entry["fullUrl"] = full_url(outer.base, version.resource_type, version.id)
    body = result.body()
    outcome = body if body and body.get("resourceType") == "OperationOutcome" else None
    if body is not None and outcome is None:
        entry["resource"] = body
    entry["response"] = response_block(result.status, version, result.location)
    if outcome is not None:
        entry["response"]["outcome"] = outcome
    return entry
