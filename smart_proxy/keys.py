"""Typed application state (``web.AppKey``) shared by handlers and middlewares."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from cachetools import LRUCache

from app_registry import Registry

from .auth.signing import SigningKey
from .bulk.jobs import ExportJobs
from .config import Config
from .consent import ConsentStore
from .endpoints import Endpoints
from .grants import TokenFactory
from .paging import CursorCodec
from .proxy.rewrite import BaseRewriter
from .proxy.upstream import Upstream
from .state import StateStore

Clock = Callable[[], float]

CONFIG = web.AppKey("config", Config)
ENDPOINTS = web.AppKey("endpoints", Endpoints)
CLOCK = web.AppKey("clock", Clock)
TOKEN_FACTORY = web.AppKey("token_factory", TokenFactory)
STORE = web.AppKey("store", StateStore)
UPSTREAM = web.AppKey("upstream", Upstream)
REWRITER = web.AppKey("rewriter", BaseRewriter)
REGISTRY = web.AppKey("registry", Registry)
SIGNING_KEY = web.AppKey("signing_key", SigningKey)
CONSENTS = web.AppKey("consents", ConsentStore)
PAGING = web.AppKey("paging", CursorCodec)
BULK_JOBS = web.AppKey("bulk_jobs", ExportJobs)
#: Allowed read decisions by (grant scopes and context, request): ``gate.admit``.
DECISIONS = web.AppKey("decisions", LRUCache)
