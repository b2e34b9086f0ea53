"""``smart-proxy users hash-password``: the password comes from stdin, the hash goes to stdout."""

from __future__ import annotations

import argparse
import functools
import io
import re

import pytest

from smart_proxy.identity import cli
from smart_proxy.identity.cli import EmptyPasswordError, add_users_commands, hash_password_command
from smart_proxy.identity.passwords import hash_secret, verify_secret


@pytest.fixture
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "hash_secret", functools.partial(hash_secret, n=16, r=1, p=1))


@pytest.mark.parametrize(
    ("stdin", "password"),
    [
        ("hunter2\n", "hunter2"),
        ("hunter2", "hunter2"),
        ("hunter2\r\n", "hunter2"),
        ("  spaced out  \n", "  spaced out  "),
        ("tab\tinside\n", "tab\tinside"),
        ("first\nsecond\n", "first"),
        ("pässwörd ☃\n", "pässwörd ☃"),
        ("ends with cr\r", "ends with cr"),
    ],
)
@pytest.mark.usefixtures("fast_hash")
def test_only_the_line_ending_is_stripped(stdin: str, password: str) -> None:
    stored = hash_password_command(stdin)
    assert verify_secret(stored, password) is True
    if password != password.strip():
        assert verify_secret(stored, password.strip()) is False


@pytest.mark.parametrize("stdin", ["", "\n", "\r\n", "\nsecond line\n"])
def test_an_empty_password_is_refused(stdin: str) -> None:
    with pytest.raises(EmptyPasswordError, match="no password given on standard input"):
        hash_password_command(stdin)


def test_the_default_hash_is_the_registry_scrypt_layout() -> None:
    stored = hash_password_command("correct horse\n")
    assert re.fullmatch(r"scrypt\$32768\$8\$3\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}", stored)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="smart-proxy")
    add_users_commands(parser.add_subparsers(required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return int(args.command(args))


@pytest.mark.usefixtures("fast_hash")
def test_the_command_reads_stdin_and_prints_only_the_hash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret pass\nignored\n"))
    assert run(["users", "hash-password"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.endswith("\n") and out.count("\n") == 1
    assert verify_secret(out.strip(), "s3cret pass") is True
    assert "s3cret" not in out


def test_the_command_fails_on_empty_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run(["users", "hash-password"]) == 1
    assert capsys.readouterr() == (
        "",
        "smart-proxy users hash-password: no password given on standard input\n",
    )


def test_the_password_is_never_an_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["users", "hash-password", "hunter2"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: hunter2" in capsys.readouterr().err


def test_users_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(["users"])
    assert "ACTION" in capsys.readouterr().err
