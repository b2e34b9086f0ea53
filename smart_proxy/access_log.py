"""Access log without PHI: method, path without query, status, duration, request id.

Query strings carry search terms (names, birth dates, identifiers), so they are
never logged; neither are headers (tokens, cookies).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .middlewares import REQUEST_ID


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms rid=%s",
            request.method,
            request.rel_url.path,
            response.status,
            time * 1000,
            request.get(REQUEST_ID, "-"),
        )
