"""A sandbox FHIR R4 server with deterministic synthetic US Core-shaped data.

It is the upstream for ``smart-proxy demo`` and for the project's tests: read, vread,
search (with paging, includes, compartments), create/update/patch/delete (plain and
conditional), history, batch/transaction, ``Patient/$everything`` and raw Binary content.
"""

from __future__ import annotations

from .app import SANDBOX_STORE, SandboxData, create_sandbox_app, run_sandbox
from .store import SandboxStore, Version
from .synthetic import generate

__all__ = [
    "SANDBOX_STORE",
    "SandboxData",
    "SandboxStore",
    "Version",
    "create_sandbox_app",
    "generate",
    "run_sandbox",
]
