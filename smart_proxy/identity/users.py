"""The local users file (``identity.local_users``): who may log in without an OIDC provider.

Format, validated by :mod:`smart_proxy.identity.users_schema`::

    users:
      - username: amy
        password_hash: scrypt$32768$8$3$...   # from `smart-proxy users hash-password`
        fhir_user: Patient/p1                 # or Practitioner/<id>, RelatedPerson/<id>
        display_name: Amy Lindqvist
        patients: [p2]                        # others this user may act for (a
                                              # Practitioner: the patients offered)
        totp_secret: JBSWY3DPEHPK3PXP...      # optional pre-enrolled TOTP seed

Loading is all-or-nothing: every problem -- YAML syntax, duplicate keys, schema
violations, a duplicate username, a RelatedPerson acting for nobody -- is reported
as ``file:line: path: message`` in one :class:`UsersFileError`.

Usernames are compared case-insensitively: they are normalised with Unicode NFKC
and then ``str.casefold()`` (so ``Amy``, ``AMY`` and ``amy`` are one account, and
two entries differing only in case are a duplicate).  Passwords are case-sensitive.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app_registry.errors import Problem, format_path
from app_registry.yaml_source import parse_yaml
from smart_proxy.identity.passwords import hash_secret, verify_secret, verify_secret_async
from smart_proxy.identity.users_schema import schema_problems


def normalize_username(username: str) -> str:
    """The comparison form of a username: NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", username).casefold()


def account_key(username: str) -> str:
    """A store key for an account that does not reveal the username (SHA-256, hex)."""
    return hashlib.sha256(normalize_username(username).encode("utf-8")).hexdigest()


class UsersFileError(Exception):
    """The users file could not be loaded; ``errors`` holds every problem, in line order."""

    def __init__(self, errors: Iterable[Problem]) -> None:
        unique = dict.fromkeys(errors)
        self.errors = sorted(unique, key=lambda p: (p.line is None, p.line or 0))
        super().__init__("\n".join(str(problem) for problem in self.errors))


@dataclass(frozen=True)
class LocalUser:
    """One person who can log in.  ``repr`` never shows the password hash or TOTP seed."""

    username: str
    fhir_user: str
    display_name: str
    patients: tuple[str, ...]
    password_hash: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)

    @property
    def resource_type(self) -> str:
        return self.fhir_user.partition("/")[0]

    @property
    def resource_id(self) -> str:
        return self.fhir_user.partition("/")[2]

    def may_act_for(self, patient_id: str) -> bool:
        """Whether this user may choose ``patient_id`` as the launch patient."""
        return patient_id in self.patients


def _user(entry: Mapping[str, Any]) -> LocalUser:
    fhir_user = str(entry["fhir_user"])
    kind, _, own_id = fhir_user.partition("/")
    listed = [str(p) for p in entry.get("patients", [])]
    patients = ([own_id] if kind == "Patient" else []) + listed
    return LocalUser(
        username=str(entry["username"]),
        fhir_user=fhir_user,
        display_name=str(entry["display_name"]),
        patients=tuple(dict.fromkeys(patients)),  # a Patient user always acts for themselves
        password_hash=str(entry["password_hash"]),
        totp_secret=entry.get("totp_secret"),
    )


@functools.cache
def _unknown_user_hash() -> str:
    """A hash of a random secret, verified for unknown usernames to keep timings alike."""
    return hash_secret(secrets.token_urlsafe(32))


class UserDirectory:
    """The loaded users, looked up by normalised username."""

    def __init__(self, users: Iterable[LocalUser] = ()) -> None:
        self._users = {normalize_username(user.username): user for user in users}

    @classmethod
    def from_text(cls, text: str, filename: str = "<string>") -> UserDirectory:
        """Parse and validate a users file's text; ``filename`` appears in errors."""
        document = parse_yaml(text)
        problems = [
            Problem(filename, line, format_path(path), message)
            for path, line, message in document.problems
        ]
        if not document.problems or document.value is not None:
            for path, message in schema_problems(document.value):
                problems.append(
                    Problem(filename, document.line_of(path), format_path(path), message)
                )
        if problems:
            raise UsersFileError(problems)
        entries: list[Mapping[str, Any]] = document.value["users"]
        first_line: dict[str, int | None] = {}
        for index, entry in enumerate(entries):
            path = ("users", index)
            line = document.line_of((*path, "username"))
            name = normalize_username(entry["username"])
            if name in first_line:
                message = (
                    f"duplicate username {entry['username']!r} (first at line {first_line[name]})"
                )
                problems.append(Problem(filename, line, format_path((*path, "username")), message))
            first_line.setdefault(name, line)
            if entry["fhir_user"].startswith("RelatedPerson/") and not entry.get("patients"):
                message = "a RelatedPerson user needs 'patients': the patients they act for"
                problems.append(
                    Problem(filename, document.line_of(path), format_path(path), message)
                )
        if problems:
            raise UsersFileError(problems)
        return cls(_user(entry) for entry in entries)

    @classmethod
    def load(cls, path: Path) -> UserDirectory:
        """Read and validate the users file at ``path``."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else exc.strerror or exc
            raise UsersFileError([Problem(str(path), None, "", f"cannot read: {reason}")]) from exc
        return cls.from_text(text, str(path))

    def get(self, username: str) -> LocalUser | None:
        """The user named ``username`` (case-insensitively), or ``None``."""
        return self._users.get(normalize_username(username))

    async def authenticate(self, username: str, password: str) -> LocalUser | None:
        """The user if ``password`` is theirs, else ``None``.

        An unknown username costs one KDF run too, so response times do not tell
        which accounts exist.  The caller throttles (:mod:`smart_proxy.identity.throttle`).
        """
        user = self.get(username)
        if user is None:
            await asyncio.to_thread(lambda: verify_secret(_unknown_user_hash(), password))
            return None
        return user if await verify_secret_async(user.password_hash, password) else None

    def __len__(self) -> int:
        return len(self._users)

    def __iter__(self) -> Iterator[LocalUser]:
        return iter(self._users.values())
