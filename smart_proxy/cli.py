"""The ``smart-proxy`` command."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from app_registry import RegistryError, load_registry

from .access_log import AccessLogger
from .apps_command import add_apps_commands
from .auth.signing import SigningKeyError
from .config import ConfigError, load_config
from .identity.cli import add_users_commands

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if not getattr(args, "quiet", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    command: Command = args.command
    return command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smart-proxy", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the proxy with a configuration file")
    serve.add_argument("--config", required=True, metavar="FILE")
    serve.set_defaults(command=_serve)

    check = sub.add_parser("check-config", help="validate a configuration file and exit")
    check.add_argument("config", metavar="FILE")
    check.set_defaults(command=_check_config)

    demo = sub.add_parser("demo", help="run sandbox FHIR server and proxy together (memory state)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080, help="proxy port")
    demo.add_argument("--sandbox-port", type=int, default=None, help="sandbox port (default: port+1)")
    demo.set_defaults(command=_demo)

    sandbox = sub.add_parser("sandbox", help="run the sandbox FHIR R4 server alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--seed", type=int, default=42)
    sandbox.add_argument("--patients", type=int, default=8)
    sandbox.set_defaults(command=_sandbox)

    keys = sub.add_parser("keys", help="manage the id_token signing key")
    keys_sub = keys.add_subparsers(required=True, metavar="ACTION")
    generate = keys_sub.add_parser("generate", help="write a new RSA private key (mode 0600)")
    generate.add_argument("path", metavar="FILE")
    generate.set_defaults(command=_generate_key)

    add_apps_commands(sub)
    add_users_commands(sub)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from .app import create_app

    try:
        config = load_config(args.config)
        app = create_app(config)
    except (ConfigError, RegistryError, SigningKeyError) as exc:
        print(exc, file=sys.stderr)
        return 2
    app.on_startup.append(freeze_startup_heap)
    web.run_app(
        app,
        host=config.host,
        port=config.port,
        access_log_class=AccessLogger,
        print=None,
    )
    return 0


async def freeze_startup_heap(app: web.Application) -> None:
    """Move what start-up built (modules, registry, config) out of the garbage collector's
    sight: a request that parses a multi-megabyte FHIR body then no longer makes the
    collector walk the whole heap (measured with ``bench.pipeline``)."""
    gc.freeze()


def _check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        registry = load_registry(config.apps)
    except (ConfigError, RegistryError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{args.config}: OK (FHIR base {config.fhir_base}, {len(registry)} app(s))")
    return 0


def _generate_key(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .auth.signing import write_new_key

    try:
        kid = write_new_key(Path(args.path))
    except FileExistsError:
        print(f"{args.path}: exists; refusing to overwrite a signing key", file=sys.stderr)
        return 1
    print(f"{args.path}: new RSA signing key, kid {kid}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(args.host, args.port, args.sandbox_port or args.port + 1)
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import run_sandbox

    run_sandbox(args.host, args.port, seed=args.seed, patients=args.patients)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
