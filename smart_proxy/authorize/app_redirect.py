"""Answers that go back to the app: ``redirect_uri`` plus ``code``/``error`` and ``state``.

RFC 6749 §4.1.2 and §4.1.2.1: parameters are added to the query component of the
registered redirect URI, keeping any query it already has (§3.1.2: "MUST
retain the query component"); ``state`` is "the exact value received from the
client" (SMART 2.2; Inferno resumes its test by matching it byte for byte), so
it is percent-encoded here and decodes to the very same string.  The URI itself
is never re-encoded: it is the registered string, compared exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from .pages import redirect


def _encode(pairs: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


def with_params(uri: str, pairs: Sequence[tuple[str, str]]) -> str:
    """``uri`` with ``pairs`` appended to its query, before any fragment."""
    base, hash_mark, fragment = uri.partition("#")
    joiner = "" if base.endswith(("?", "&")) else "&" if "?" in base else "?"
    return f"{base}{joiner}{_encode(pairs)}{hash_mark}{fragment}"


@dataclass(frozen=True)
class AppError:
    """An OAuth error for an app whose client and redirect URI are trusted."""

    error: str
    description: str

    def response(self, redirect_uri: str, state: str | None) -> web.Response:
        return error_redirect(redirect_uri, self.error, self.description, state)


def error_redirect(
    redirect_uri: str, error: str, description: str, state: str | None
) -> web.Response:
    pairs = [("error", error), ("error_description", description)]
    if state is not None:
        pairs.append(("state", state))
    return redirect(with_params(redirect_uri, pairs))


def code_redirect(redirect_uri: str, code: str, state: str) -> web.Response:
    return redirect(with_params(redirect_uri, [("code", code), ("state", state)]))
