"""``smart-proxy users hash-password``: turn a password into a users-file ``password_hash``.

The password is read from standard input, never from the command line (argv is
visible to every local user in ``ps`` and lands in shell history).  On a
terminal it is prompted for without echo; piped input is read as one line::

    printf '%s\\n' "$PASSWORD" | smart-proxy users hash-password

The same hash works for a confidential app's ``client_secret_hash``.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from smart_proxy.identity.passwords import hash_secret


class EmptyPasswordError(ValueError):
    """The input held no password."""


def hash_password_command(stdin_text: str) -> str:
    """The hash of the first line of ``stdin_text``.

    Only the line ending is removed (``\\n`` or ``\\r\\n``): other spaces are part of
    the password.  An empty first line raises :class:`EmptyPasswordError`.
    """
    line = stdin_text.split("\n", 1)[0]
    password = line.removesuffix("\r")
    if not password:
        raise EmptyPasswordError("no password given on standard input")
    return hash_secret(password)


def add_users_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``users hash-password`` on the ``smart-proxy`` subcommand parser."""
    users = sub.add_parser("users", help="manage the local users file")
    users_sub = users.add_subparsers(required=True, metavar="ACTION")
    hashing = users_sub.add_parser(
        "hash-password",
        help="read a password from stdin and print its hash for password_hash",
    )
    hashing.set_defaults(command=_hash_password)


def _read_password() -> str:
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        try:
            return getpass.getpass("Password: ") + "\n"
        except EOFError:
            return ""
    return sys.stdin.readline()


def _hash_password(_args: argparse.Namespace) -> int:
    try:
        print(hash_password_command(_read_password()))
    except EmptyPasswordError as exc:
        print(f"smart-proxy users hash-password: {exc}", file=sys.stderr)
        return 1
    return 0
