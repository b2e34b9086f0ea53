"""Batch and transaction Bundles: every entry is judged as the request it stands for.

SMART App Launch 2.2, "Batches and Transactions" (conformance 140) and peer-gateways
(c) 10: there is no bundle scope; each entry's ``request.method`` + ``request.url`` (plus
``ifNoneExist`` and, for PATCH, the body's media type) is parsed with ``parse_url`` and
decided with ``decide`` as if it had been sent alone.

- ``transaction``: atomic, so one entry that is refused, unreadable, or would have to be
  answered outside the upstream call (an empty searchset) refuses the whole Bundle, with
  that entry's status;
- ``batch``: each refused entry gets its own error entry and is not forwarded;
- at most ``MAX_BUNDLE_ENTRIES`` entries; nested Bundles, system-level entries and
  absolute entry URLs are refused.

Entry bodies are not judged here: each entry's ``Decision`` carries the ``body_rule`` and
post-checks, and ``FhirRequest.body`` holds the entry's resource for that check
(transaction-internal ``urn:uuid`` references included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from scopes.access import GrantContext
from scopes.decision import Decision, Reason, deny
from scopes.interaction import Interaction
from scopes.policy import decide
from scopes.request import FhirRequest, RequestError, parse_url

MAX_BUNDLE_ENTRIES = 100
BUNDLE_KINDS = ("batch", "transaction")


@dataclass(frozen=True)
class EntryError:
    """An entry that is not a request this proxy understands (``400`` for that entry)."""

    message: str


@dataclass(frozen=True)
class ParsedBundle:
    kind: str
    entries: tuple[FhirRequest | EntryError, ...]


@dataclass(frozen=True)
class BundleDecision:
    """``entries[i]`` decides ``Bundle.entry[i]``; ``allowed`` is about the Bundle as a whole."""

    allowed: bool
    reason: Reason
    message: str
    entries: tuple[Decision, ...]

    @property
    def status(self) -> int:
        return self.reason.status


def parse_bundle(bundle: object) -> ParsedBundle:
    """Read a batch or transaction; raise ``RequestError`` when the Bundle itself is unusable."""
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise RequestError("the body is not a Bundle")
    kind = bundle.get("type")
    if kind not in BUNDLE_KINDS:
        raise RequestError("only batch and transaction Bundles can be posted to the base")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise RequestError("Bundle.entry is not a list")
    if len(entries) > MAX_BUNDLE_ENTRIES:
        raise RequestError(f"a Bundle may hold at most {MAX_BUNDLE_ENTRIES} entries")
    return ParsedBundle(str(kind), tuple(_entry(entry) for entry in entries))


def decide_bundle(
    grant: GrantContext, entries: Sequence[FhirRequest | EntryError], kind: str
) -> BundleDecision:
    if kind not in BUNDLE_KINDS:
        raise ValueError(f"unknown Bundle kind {kind!r}")
    if len(entries) > MAX_BUNDLE_ENTRIES:
        refused = deny(Reason.UNSUPPORTED, f"more than {MAX_BUNDLE_ENTRIES} entries")
        return BundleDecision(False, refused.reason, refused.message, ())
    decisions = tuple(
        deny(Reason.UNSUPPORTED, entry.message) if isinstance(entry, EntryError)
        else decide(grant, entry)
        for entry in entries
    )
    if kind == "transaction":
        for index, decision in enumerate(decisions):
            if not decision.allowed:
                return BundleDecision(False, decision.reason,
                                      f"entry {index}: {decision.message}", decisions)
            if decision.mutations.empty_result:
                return BundleDecision(False, Reason.NOT_FOUND,
                                      f"entry {index}: {decision.message}", decisions)
    return BundleDecision(True, Reason.ALLOWED, "", decisions)


def _entry(entry: object) -> FhirRequest | EntryError:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("request"), Mapping):
        return EntryError("the entry has no request")
    request = entry["request"]
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str) or not url:
        return EntryError("the entry request needs a method and a url")
    resource = entry.get("resource")
    headers: dict[str, str] = {}
    if_none_exist = request.get("ifNoneExist")
    if if_none_exist is not None:
        if not isinstance(if_none_exist, str):
            return EntryError("ifNoneExist is not a string")
        headers["If-None-Exist"] = if_none_exist
    try:
        parsed = parse_url(method, url, headers=headers, content_type=_patch_media(resource))
    except RequestError as error:
        return EntryError(str(error))
    if parsed.special is not None:
        return EntryError("a Bundle entry must address a resource type")
    if parsed.interaction is not Interaction.PATCH and parsed.content_type is not None:
        parsed = replace(parsed, content_type=None)
    return replace(parsed, body=resource)


def _patch_media(resource: object) -> str | None:
    """A PATCH entry's body: a Binary holding JSON Patch, or Parameters (FHIRPath Patch)."""
    if not isinstance(resource, Mapping):
        return None
    if resource.get("resourceType") == "Binary":
        media = resource.get("contentType")
        return media if isinstance(media, str) else None
    if resource.get("resourceType") == "Parameters":
        return "application/fhir+json"
    return None


__all__ = [
    "BUNDLE_KINDS",
    "MAX_BUNDLE_ENTRIES",
    "BundleDecision",
    "EntryError",
    "ParsedBundle",
    "decide_bundle",
    "parse_bundle",
]
