"""The sandbox's versioned, in-memory resource store.

Every write appends a :class:`Version` (http://hl7.org/fhir/R4/http.html#versioning):
``meta.versionId`` counts from 1 per resource, ``meta.lastUpdated`` is a strictly
increasing instant, and a delete appends a version without content.  Binary content is
kept as raw bytes (never as base64) and encoded only when a client asks for JSON.

All methods are synchronous.  A transaction runs without yielding to the event loop and
can be undone with :meth:`SandboxStore.mark` / :meth:`SandboxStore.rollback`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from .outcome import FhirError, invalid
from .resource_types import RESOURCE_TYPES, is_valid_id

Json = dict[str, Any]
#: Raw Binary content; never mutated once stored.
Payload = bytes | bytearray


def format_instant(moment: datetime) -> str:
    """An R4 ``instant`` with millisecond precision, in UTC."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Version:
    """One version of one resource; ``resource`` is ``None`` for a deletion."""

    resource_type: str
    id: str
    version_id: int
    last_updated: datetime
    method: str
    resource: Json | None
    payload: Payload | None
    seq: int

    @property
    def deleted(self) -> bool:
        return self.resource is None

    @property
    def etag(self) -> str:
        return f'W/"{self.version_id}"'

    @property
    def key(self) -> str:
        return f"{self.resource_type}/{self.id}"

    def require(self) -> Json:
        if self.resource is None:
            raise FhirError(410, f"Resource {self.key} has been deleted")
        return self.resource


def render(version: Version) -> Json:
    """The JSON form of a live version; a Binary gets its bytes back as base64 ``data``."""
    resource = version.require()
    if version.payload is None:
        return resource
    return {**resource, "data": base64.b64encode(version.payload).decode("ascii")}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SandboxStore:
    """Versioned resources by type and id, in creation order."""

    def __init__(self, clock: Callable[[], datetime] = _utcnow) -> None:
        self._clock = clock
        self._chains: dict[str, dict[str, list[Version]]] = {}
        self._journal: list[tuple[str, str]] = []
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._last = datetime(1970, 1, 1, tzinfo=UTC)

    # -- reading ---------------------------------------------------------------------------
    def current(self, resource_type: str, resource_id: str) -> Version | None:
        chain = self._chains.get(resource_type, {}).get(resource_id)
        return chain[-1] if chain else None

    def version(self, resource_type: str, resource_id: str, version_id: int) -> Version | None:
        chain = self._chains.get(resource_type, {}).get(resource_id, [])
        return next((v for v in chain if v.version_id == version_id), None)

    def live(self, resource_type: str) -> list[Version]:
        """Current, undeleted versions of one type, oldest resource first."""
        chains = self._chains.get(resource_type, {}).values()
        return [chain[-1] for chain in chains if not chain[-1].deleted]

    def types(self) -> list[str]:
        return sorted(t for t, chains in self._chains.items() if chains)

    def versions(
        self, resource_type: str | None = None, resource_id: str | None = None
    ) -> list[Version]:
        """Every version in scope, newest first (http.html#history)."""
        if resource_type is None:
            chains: Iterable[list[Version]] = (
                c for by_id in self._chains.values() for c in by_id.values()
            )
        elif resource_id is None:
            chains = self._chains.get(resource_type, {}).values()
        else:
            chains = [self._chains.get(resource_type, {}).get(resource_id, [])]
        found = [v for chain in chains for v in chain]
        return sorted(found, key=lambda v: (v.last_updated, v.seq), reverse=True)

    # -- writing ---------------------------------------------------------------------------
    def new_id(self, resource_type: str) -> str:
        while True:
            candidate = str(next(self._ids))
            if self.current(resource_type, candidate) is None:
                return candidate

    def write(
        self,
        resource: Mapping[str, Any],
        *,
        method: str,
        resource_id: str | None = None,
        payload: Payload | None = None,
        last_updated: datetime | None = None,
    ) -> Version:
        """Append a new version of ``resource`` (id from ``resource_id`` or the body)."""
        body = dict(resource)
        resource_type = str(body.get("resourceType"))
        if resource_type not in RESOURCE_TYPES:
            raise invalid(f"Unknown resourceType {resource_type!r}", expression="resourceType")
        if resource_type == "Binary" and "data" in body:
            payload = _decode_data(body.pop("data"))
        body = orjson.loads(orjson.dumps(body))
        rid = resource_id or str(body.get("id") or self.new_id(resource_type))
        if not is_valid_id(rid):
            raise invalid(f"Invalid resource id {rid!r}")
        previous = self.current(resource_type, rid)
        version_id = previous.version_id + 1 if previous else 1
        moment = self._stamp(last_updated)
        kept = {k: v for k, v in body.get("meta", {}).items()
                if k not in ("versionId", "lastUpdated")}
        meta = {"versionId": str(version_id), "lastUpdated": format_instant(moment), **kept}
        rest = {k: v for k, v in body.items() if k not in ("resourceType", "id", "meta")}
        stored = {"resourceType": resource_type, "id": rid, "meta": meta, **rest}
        return self._append(
            Version(resource_type, rid, version_id, moment, method, stored, payload, 0)
        )

    def delete(self, resource_type: str, resource_id: str) -> Version:
        """Append a deletion marker; the caller checks that a live version exists."""
        previous = self.current(resource_type, resource_id)
        version_id = previous.version_id + 1 if previous else 1
        return self._append(
            Version(resource_type, resource_id, version_id, self._stamp(None), "DELETE",
                    None, None, 0)
        )

    def _stamp(self, requested: datetime | None) -> datetime:
        if requested is not None:
            self._last = max(self._last, requested)
            return requested
        moment = max(self._clock(), self._last + timedelta(milliseconds=1))
        self._last = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        return self._last

    def _append(self, version: Version) -> Version:
        stamped = Version(
            version.resource_type, version.id, version.version_id, version.last_updated,
            version.method, version.resource, version.payload, next(self._seq),
        )
        by_id = self._chains.setdefault(version.resource_type, {})
        by_id.setdefault(version.id, []).append(stamped)
        self._journal.append((version.resource_type, version.id))
        return stamped

    # -- transactions ----------------------------------------------------------------------
    def mark(self) -> int:
        return len(self._journal)

    def rollback(self, mark: int) -> None:
        """Undo every version appended since ``mark`` (transaction.html atomicity)."""
        while len(self._journal) > mark:
            resource_type, resource_id = self._journal.pop()
            chain = self._chains[resource_type][resource_id]
            chain.pop()
            if not chain:
                del self._chains[resource_type][resource_id]

    # -- seeding (tests, demo) -------------------------------------------------------------
    def load(self, resources: Iterable[Mapping[str, Any]]) -> None:
        """Seed resources as version 1, keeping a given ``meta.lastUpdated``."""
        for resource in resources:
            stamp = resource.get("meta", {}).get("lastUpdated")
            self.write(resource, method="PUT",
                       last_updated=parse_instant(stamp) if stamp else None)

    def put(self, resource: Mapping[str, Any]) -> Version:
        """Create or update ``resource`` under its own ``id`` (a new version)."""
        return self.write(resource, method="PUT")

    def put_binary(
        self,
        resource_id: str,
        content_type: str,
        data: Payload,
        *,
        security_context: str | None = None,
    ) -> Version:
        """Store raw bytes as ``Binary/resource_id``."""
        binary: Json = {"resourceType": "Binary", "id": resource_id, "contentType": content_type}
        if security_context:
            binary["securityContext"] = {"reference": security_context}
        return self.write(binary, method="PUT", payload=data)


def _decode_data(data: object) -> bytes:
    if not isinstance(data, str):
        raise invalid("Binary.data must be a base64 string", expression="Binary.data")
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise invalid(f"Binary.data is not valid base64: {exc}",
                      expression="Binary.data") from None
