"""The proxy with enforcement off: the baseline of ``bench.pipeline``.  Benchmarks only.

Run:  .venv/bin/python -m bench.passthrough --config FILE   (the proxy's own config file)

Everything ``smart-proxy serve`` does on a FHIR call except enforcement: the same
middlewares (request id, error rendering), security headers and access log, the same
path check, header allow-lists, upstream session and credential, JSON parse, base-URL
rewrite and re-serialisation (``smart_proxy.proxy``).  No token lookup, no gate, no
decision, no post-filter, no paging cursors: any caller gets any answer.  It is not
part of the installed package, and it listens where the config file says (loopback in
the benchmark); never point it at real data.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import AsyncIterator

from aiohttp import web

from smart_proxy.access_log import AccessLogger
from smart_proxy.cli import freeze_startup_heap
from smart_proxy.config import Config, load_config
from smart_proxy.fhir_route import fhir_tail
from smart_proxy.keys import CONFIG, REWRITER, UPSTREAM
from smart_proxy.middlewares import errors, request_id, request_id_of, security_headers
from smart_proxy.proxy.forward import read_body, relay
from smart_proxy.proxy.headers import upstream_request_headers
from smart_proxy.proxy.rewrite import BaseRewriter
from smart_proxy.proxy.upstream import Upstream, open_session


def create_passthrough(config: Config) -> web.Application:
    app = web.Application(
        middlewares=[request_id, errors], client_max_size=config.limits.max_request_body_bytes)
    app[CONFIG] = config
    app[REWRITER] = BaseRewriter(config.upstream.url, config.fhir_base)
    app.on_response_prepare.append(security_headers(config.is_https))
    app.cleanup_ctx.append(_upstream)
    app.router.add_route("*", "/fhir/{tail:.*}", forward)
    return app


async def forward(request: web.Request) -> web.StreamResponse:
    app = request.app
    config, upstream = app[CONFIG], app[UPSTREAM]
    tail = fhir_tail(request)
    body = await read_body(request, config.limits.max_request_body_bytes)
    headers = upstream_request_headers(
        request.headers,
        authorization=upstream.authorization,
        client_ip=request.remote,
        public_host=config.public_url.raw_authority,
        public_scheme=config.public_url.scheme,
        request_id=request_id_of(request),
    )
    return await relay(
        request, upstream, upstream.url_for(tail, request.url.raw_query_string), headers, body,
        app[REWRITER], config.limits.max_inspected_body_bytes,
    )


async def _upstream(app: web.Application) -> AsyncIterator[None]:
    session = open_session(app[CONFIG].upstream)
    app[UPSTREAM] = Upstream(app[CONFIG].upstream, session)
    yield
    await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, metavar="FILE")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_config(args.config)
    app = create_passthrough(config)
    app.on_startup.append(freeze_startup_heap)  # as ``smart-proxy serve`` does
    web.run_app(app, host=config.host, port=config.port,
                access_log_class=AccessLogger, print=None)


if __name__ == "__main__":
    main()
