"""The application factory: routes, middleware order, resources in ``cleanup_ctx``."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from cachetools import LRUCache

from app_registry import Registry, load_registry

from .auth.discovery import add_discovery_routes
from .auth.signing import SigningKey
from .auth.token_routes import add_token_routes
from .authorize import add_authorize_routes
from .bulk.jobs import ExportJobs
from .bulk.routes import add_bulk_routes
from .config import Config
from .consent import ConsentStore
from .consent.store import CONSENT_NS
from .cors import add_cors_headers, cors_preflight
from .endpoints import Endpoints
from .fhir_route import handle_fhir
from .grants import GRANT_NS, TOKEN_NS, TokenFactory, new_token
from .health import healthz, readyz
from .keys import (
    BULK_JOBS,
    CLOCK,
    CONFIG,
    CONSENTS,
    DECISIONS,
    ENDPOINTS,
    PAGING,
    REGISTRY,
    REWRITER,
    SIGNING_KEY,
    STORE,
    TOKEN_FACTORY,
    UPSTREAM,
    Clock,
)
from .middlewares import errors, request_id, security_headers
from .paging import CursorCodec, shared_cursor_key
from .proxy.rewrite import BaseRewriter
from .proxy.upstream import Upstream, open_session
from .state import StateStore, open_store
from .state.read_cache import ReadCachedStore

log = logging.getLogger("smart_proxy")
#: Allowed read decisions kept per process (``gate.admit``); a few MB at most.
DECISION_CACHE_SIZE = 10_000


def create_app(
    config: Config,
    *,
    store: StateStore | None = None,
    clock: Clock = time.time,
    token_factory: TokenFactory = new_token,
    registry: Registry | None = None,
) -> web.Application:
    """Build the proxy.

    ``store`` and ``registry`` may be given (tests); otherwise ``config.state`` opens
    the store and the registry is loaded from ``config.apps`` (``RegistryError`` on
    any problem: start-up stops).
    """
    app = web.Application(
        middlewares=[request_id, errors, cors_preflight],
        client_max_size=config.limits.max_request_body_bytes,
    )
    endpoints = Endpoints(config.public_url)
    app[CONFIG] = config
    app[ENDPOINTS] = endpoints
    app[CLOCK] = clock
    app[TOKEN_FACTORY] = token_factory
    app[REGISTRY] = registry if registry is not None else load_registry(config.apps)
    app[REWRITER] = BaseRewriter(config.upstream.url, endpoints.fhir_base)
    app[DECISIONS] = LRUCache(maxsize=DECISION_CACHE_SIZE)
    app.on_response_prepare.append(security_headers(config.is_https))
    app.on_response_prepare.append(add_cors_headers)
    app.cleanup_ctx.append(_state(store))
    app.cleanup_ctx.append(_upstream)
    app[SIGNING_KEY] = SigningKey.from_file(config.signing_key) if config.signing_key else SigningKey.generate()
    add_discovery_routes(app)
    add_token_routes(app)
    add_authorize_routes(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_bulk_routes(app)
    app.router.add_route("*", "/fhir", handle_fhir)
    app.router.add_route("*", "/fhir/{tail:.*}", handle_fhir)
    return app


def _state(given: StateStore | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def state(app: web.Application) -> AsyncIterator[None]:
        store = given if given is not None else _open_store(app[CONFIG].state)
        app[STORE] = store
        app[CONSENTS] = ConsentStore(store)
        app[PAGING] = CursorCodec(await shared_cursor_key(store))
        app[BULK_JOBS] = ExportJobs(store, app[TOKEN_FACTORY])
        yield
        if given is None:
            await store.close()

    return state


def _open_store(spec: str) -> StateStore:
    store = open_store(spec)
    if spec == "memory":
        return store
    # Hot FHIR-path lookups: token → grant → consent, at most one second stale across replicas.
    return ReadCachedStore(store, (TOKEN_NS, GRANT_NS, CONSENT_NS))


async def _upstream(app: web.Application) -> AsyncIterator[None]:
    session = open_session(app[CONFIG].upstream)
    app[UPSTREAM] = Upstream(app[CONFIG].upstream, session)
    yield
    await session.close()
