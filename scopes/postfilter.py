"""The post-call check of an upstream answer: what of this body may the app see?

Request-path step 7 (DESIGN.md): every resource in the body, Bundle entries of any type,
``search.mode=include`` entries, nested Bundles and ``contained`` resources, goes through
``check`` (built by :func:`build_check`, from ``scopes.postcheck``); what fails is dropped,
or the whole answer refused.  peer-gateways.md (c) 1 (include leaks), 4 (totals), 8 ($everything).

- A single resource that fails: ``refused=True``; the caller answers 404 (DESIGN decision 6).
  An ``OperationOutcome`` answer is passed through (upstream errors, conformance item 129).
- A Bundle: each ``entry.resource`` that fails is removed.  In ``batch-response`` and
  ``transaction-response`` Bundles the entry is *replaced* by a ``404 Not Found`` response
  instead, because those entries answer the request entries by position.
- ``OperationOutcome`` entries (``search.mode=outcome``, warnings) are kept, unless one of
  their ``contained`` resources fails.
- A nested Bundle (an entry of a batch-response, a Bundle inside a collection) is filtered
  the same way, recursively, and kept.
- ``contained``: a resource is removed whole when one of its contained resources fails
  ``contained_check`` (default: ``check``).  A contained resource has no identity of its own
  and is referenced from inside its parent by ``#id``; cutting it out would leave dangling
  references and change what the parent says (a MedicationRequest without its Medication),
  so the parent is either disclosed intact or not at all.
- An entry with no resource (a ``history`` entry of a deleted version, a malformed entry):
  dropped, unless ``keep_bare_entries`` (the caller knows the request was about one allowed
  instance, e.g. ``Observation/1/_history`` after a check of that instance).  It carries no
  body but its ``request.url`` and ``fullUrl`` name a resource id, and an id is a
  disclosure.  In batch/transaction responses such entries are status lines for the
  client's own requests and are kept.
- Once a match is removed, an include entry stays only if it is linked to what remains
  (``scopes.include_links``): an include of the removed match alone would reveal it.
- ``Bundle.total`` is dropped from every Bundle when anything was removed or when
  ``strip_total`` (the caller says filtering was possible: a patient grant, ``_include``,
  ``_revinclude``): a total of the unfiltered set reveals what was filtered.  A signature
  over the removed entries no longer holds and is dropped with them.  ``Bundle.link`` is
  left untouched; the caller rewrites links.

The document is filtered in place (it was just parsed from the upstream bytes) and returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scopes.include_links import is_include, linked_includes
from scopes.postcheck import PostCheck, build_check

__all__ = ["Check", "FilterResult", "PostCheck", "build_check", "filter_answer"]

Check = Callable[[dict[str, Any]], bool]
_POSITIONAL = frozenset({"batch-response", "transaction-response"})
_NOT_FOUND: dict[str, Any] = {"status": "404 Not Found"}
_PASSED_ON = frozenset({"Bundle", "OperationOutcome"})  # their own rules, never ``check``


@dataclass(frozen=True, slots=True)
class FilterResult:
    document: Any
    removed: int
    refused: bool


def filter_answer(
    document: Any, check: Check, *, contained_check: Check | None = None,
    strip_total: bool = False, keep_bare_entries: bool = False,
) -> FilterResult:
    """Filter ``document`` (a parsed FHIR JSON body) in place; see the module docstring."""
    if not isinstance(document, dict):
        return FilterResult(document, 0, True)
    walker = _Walker(check, contained_check or check, keep_bare_entries)
    try:
        return _filter(document, walker, strip_total)
    finally:
        walker.release()


def _filter(document: dict[str, Any], walker: _Walker, strip_total: bool) -> FilterResult:
    resource_type = document.get("resourceType")
    if resource_type == "OperationOutcome":
        return FilterResult(document, 0, not walker.contained_pass(document))
    if resource_type != "Bundle":
        return FilterResult(document, 0, not walker.passes(document))
    if not walker.bundle(document):
        return FilterResult(document, walker.removed, True)
    if walker.removed or strip_total:
        walker.strip_totals()
    return FilterResult(document, walker.removed, False)


class _Walker:
    __slots__ = ("bundles", "check", "contained_check", "keep_bare", "prepare", "release",
                 "removed")

    def __init__(self, check: Check, contained_check: Check, keep_bare: bool) -> None:
        self.check = check
        # A check may read a whole Bundle's entries in one pass first (PostCheck.prepare).
        self.prepare: Callable[[list[dict[str, Any]]], None] | None = getattr(
            check, "prepare", None)
        self.release: Callable[[], None] = getattr(check, "release", _nothing)
        self.contained_check = contained_check
        self.keep_bare = keep_bare
        self.removed = 0
        self.bundles: list[dict[str, Any]] = []

    def passes(self, resource: dict[str, Any]) -> bool:
        return self.check(resource) and self.contained_pass(resource)

    def contained_pass(self, resource: dict[str, Any]) -> bool:
        contained = resource.get("contained")
        if contained is None:
            return True
        if type(contained) is not list:
            return False
        check = self.contained_check
        return all(type(item) is dict and check(item) for item in contained)

    def bundle(self, bundle: dict[str, Any]) -> bool:
        """Filter the entries of ``bundle``; False when it is too malformed to filter."""
        self.bundles.append(bundle)
        removed_before = self.removed
        entries = bundle.get("entry")
        if entries is None:
            return True
        if type(entries) is not list:
            return False
        positional = bundle.get("type") in _POSITIONAL
        if self.prepare is not None:
            self.prepare([
                e["resource"] for e in entries
                if type(e) is dict and type(e.get("resource")) is dict
            ])
        kept: list[Any] = []
        match_removed = False
        for entry in entries:
            outcome = self.entry(entry, positional)
            if outcome is True:
                kept.append(entry)
            elif outcome is not None:
                kept.append(outcome)
            elif type(entry) is dict and not is_include(entry):
                match_removed = True
        if match_removed and not positional:
            linked = linked_includes(kept)
            self.removed += len(kept) - len(linked)
            kept = linked
        if self.removed > removed_before:
            bundle["entry"] = kept
        if self.removed > removed_before and "signature" in bundle:
            del bundle["signature"]
        return True

    def entry(self, entry: Any, positional: bool) -> bool | dict[str, Any] | None:
        """True: keep; a dict: keep this replacement; None: drop."""
        if type(entry) is not dict:
            self.removed += 1
            return None
        resource = entry.get("resource")
        if resource is None:
            if positional and "response" in entry or self.keep_bare:
                return True
            self.removed += 1
            return None
        if type(resource) is dict:
            resource_type = resource.get("resourceType")
            if resource_type == "OperationOutcome" and self.contained_pass(resource):
                return True
            if resource_type == "Bundle" and self.bundle(resource):
                return True
            if (resource_type not in _PASSED_ON and self.check(resource)
                    and self.contained_pass(resource)):
                return True
        self.removed += 1
        return {"response": dict(_NOT_FOUND)} if positional else None

    def strip_totals(self) -> None:
        for bundle in self.bundles:
            bundle.pop("total", None)


def _nothing() -> None:
    return None
