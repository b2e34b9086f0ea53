"""The sandbox FHIR R4 server as an aiohttp application.

``create_sandbox_app()`` serves the FHIR REST API (http://hl7.org/fhir/R4/http.html) under
``base_path`` from an in-memory store seeded with synthetic data, with Bulk Data export
(:mod:`.bulk`); ``run_sandbox()`` runs it
until interrupted (``smart-proxy sandbox``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .bulk import add_bulk_routes
from .handlers import BASE_PATH_KEY, MAX_BODY, STORE_KEY, fhir_endpoint, outcome_middleware
from .store import SandboxStore
from .synthetic import generate

log = logging.getLogger("smart_proxy.sandbox")


@dataclass(frozen=True)
class SandboxData:
    """Seed resources (FHIR R4 JSON); a Binary's ``data`` is decoded into raw bytes on load."""

    resources: Sequence[Mapping[str, Any]]

    @classmethod
    def generate(cls, seed: int = 42, patients: int = 8) -> SandboxData:
        """The deterministic synthetic data set of :func:`~.synthetic.generate`."""
        return cls(tuple(generate(seed, patients)))

    @classmethod
    def empty(cls) -> SandboxData:
        return cls(())


#: The app's :class:`SandboxStore`; tests read and seed it directly.
SANDBOX_STORE = STORE_KEY


def create_sandbox_app(
    *,
    seed: int = 42,
    patients: int = 8,
    base_path: str = "/fhir",
    data: SandboxData | None = None,
    export_polls_before_ready: int = 1,
) -> web.Application:
    """A FHIR R4 server on ``base_path``, seeded with ``data`` or ``generate(seed, patients)``."""
    base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
    store = SandboxStore()
    store.load((data or SandboxData.generate(seed, patients)).resources)
    app = web.Application(client_max_size=MAX_BODY, middlewares=[outcome_middleware])
    app[SANDBOX_STORE] = store
    app[BASE_PATH_KEY] = base_path
    add_bulk_routes(app, base_path, export_polls_before_ready)
    if base_path:
        app.router.add_route("*", base_path, fhir_endpoint)
    app.router.add_route("*", base_path + "/{tail:.*}", fhir_endpoint)
    return app


def run_sandbox(host: str, port: int, *, seed: int = 42, patients: int = 8) -> None:
    """Serve the sandbox on ``host:port`` until interrupted (blocking)."""
    app = create_sandbox_app(seed=seed, patients=patients)
    log.info("sandbox FHIR server on http://%s:%d/fhir (seed=%d, patients=%d)",
             host, port, seed, patients)
    web.run_app(app, host=host, port=port, print=None)
