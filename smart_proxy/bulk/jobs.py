"""Export jobs the proxy started upstream, bound to the client that started them.

The app never sees an upstream URL: it gets ``{fhir_base}/_bulk/{job}`` (a 256-bit random
id) and, once the manifest is in, ``{fhir_base}/_bulk/{job}/file/{n}``.  The record holds
the upstream status URL (taken from the upstream's own ``Content-Location``, never from a
client) and, after completion, the upstream file URLs by index.  Only the client that
started a job may poll, cancel or download it (peer-gateways (c) 21: the job owner is the
client); to everyone else the job does not exist (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..state import StateStore

NAMESPACE = "bulk"
#: How long a job (and its manifest) stays reachable through the proxy.
JOB_TTL_S = 24 * 3600.0


@dataclass(frozen=True)
class ExportFile:
    """One file of the manifest: ``kind`` is ``output`` or ``error``."""

    kind: str
    type: str
    url: str


@dataclass(frozen=True)
class ExportJob:
    job_id: str
    client_id: str
    status_url: str
    request: str
    files: tuple[ExportFile, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportJob:
        files = tuple(ExportFile(**item) for item in data.get("files", ()))
        return cls(data["job_id"], data["client_id"], data["status_url"], data["request"], files)


class ExportJobs:
    """The job records in the state store (shared by every replica)."""

    def __init__(self, store: StateStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    async def start(self, client_id: str, status_url: str, request: str) -> ExportJob:
        job = ExportJob(self._new_id(), client_id, status_url, request)
        await self._store.put(NAMESPACE, job.job_id, job.to_json(), ttl=JOB_TTL_S)
        return job

    async def owned(self, job_id: str, client_id: str) -> ExportJob | None:
        """The job if it exists and ``client_id`` started it; ``None`` otherwise."""
        data = await self._store.get(NAMESPACE, job_id)
        if data is None or data.get("client_id") != client_id:
            return None
        return ExportJob.from_json(data)

    async def save(self, job: ExportJob) -> None:
        ttl = await self._store.ttl(NAMESPACE, job.job_id)
        await self._store.put(NAMESPACE, job.job_id, job.to_json(), ttl=ttl or JOB_TTL_S)

    async def end(self, job_id: str) -> None:
        await self._store.delete(NAMESPACE, job_id)
