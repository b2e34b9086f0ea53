"""Paging cursors: the proxy's own ``next``/``prev`` links (DESIGN.md decision 4).

An upstream paging link is never handed to the app.  It becomes
``{fhir_base}/_page?cursor=…`` where the cursor carries the link's path and query
*relative to the upstream base*, the grant it was issued to, the original
request (so the page is checked exactly like the first one) and an expiry, all
sealed with AES-256-GCM: authenticated, so a tampered, expired or other grant's
cursor is refused before any upstream call, and encrypted, so the app cannot read
the upstream's offsets (how many records the upstream matched before the
post-filter removed some).  Because the upstream origin is never part of the
cursor, the proxy never fetches a URL a client supplied.

The signing key is shared by replicas through the state store (created once,
atomically) so a cursor issued by one replica is honoured by another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from yarl import URL

from .state import StateStore

CURSOR_TTL_S = 30 * 60
_NONCE_BYTES = 12
_ASSOCIATED = b"smart-proxy page cursor v2"
_KEY_NS = "secret"
_KEY_NAME = "paging-cursor-key"


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class PageCursor:
    grant_id: str
    upstream_tail: str
    request: dict[str, Any]
    expires_at: float


async def shared_cursor_key(store: StateStore) -> bytes:
    await store.add(_KEY_NS, _KEY_NAME, {"key": secrets.token_hex(32)})
    stored = await store.get(_KEY_NS, _KEY_NAME)
    if stored is None:  # pragma: no cover - add() above guarantees presence
        raise RuntimeError("paging key missing")
    return bytes.fromhex(str(stored["key"]))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Seals and opens cursors; ``nonce`` gives the 96-bit GCM nonce (random by default)."""

    def __init__(self, key: bytes, ttl_s: float = CURSOR_TTL_S,
                 nonce: Callable[[int], bytes] = secrets.token_bytes) -> None:
        # One derived key per purpose: the stored secret never seals anything itself.
        self._aead = AESGCM(hmac.new(key, b"page-cursor-aes-gcm", hashlib.sha256).digest())
        self._ttl = ttl_s
        self._nonce = nonce

    def encode(self, grant_id: str, upstream_tail: str, request: dict[str, Any], now: float) -> str:
        payload = orjson.dumps({"g": grant_id, "u": upstream_tail, "r": request, "e": now + self._ttl})
        nonce = self._nonce(_NONCE_BYTES)
        return _b64(nonce + self._aead.encrypt(nonce, payload, _ASSOCIATED))

    def decode(self, cursor: str, grant_id: str, now: float) -> PageCursor:
        try:
            sealed = _unb64(cursor)
        except ValueError:
            raise InvalidCursor("malformed cursor") from None
        if len(sealed) <= _NONCE_BYTES:
            raise InvalidCursor("malformed cursor")
        try:
            payload = self._aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _ASSOCIATED)
        except InvalidTag:
            raise InvalidCursor("cursor signature does not verify") from None
        data = orjson.loads(payload)
        if not hmac.compare_digest(str(data["g"]).encode(), grant_id.encode()):
            raise InvalidCursor("cursor belongs to another grant")
        if now >= float(data["e"]):
            raise InvalidCursor("cursor has expired")
        tail = str(data["u"])
        if tail.startswith(("/", "\\")) or "://" in tail or ".." in tail.split("?", 1)[0].split("/"):
            raise InvalidCursor("cursor path is not below the upstream base")
        return PageCursor(str(data["g"]), tail, dict(data["r"]), float(data["e"]))


def tail_below(base: URL, link: str) -> str | None:
    """The part of ``link`` below ``base``, or ``None`` when it points elsewhere."""
    try:
        url = URL(link, encoded=True)
    except ValueError:
        return None
    base_path = base.raw_path.rstrip("/")
    same_origin = (url.scheme, (url.raw_host or "").lower(), url.port) == (
        base.scheme, (base.raw_host or "").lower(), base.port)
    if not url.is_absolute() or not same_origin:
        return None
    if url.raw_path != base_path and not url.raw_path.startswith(base_path + "/"):
        return None
    tail = url.raw_path[len(base_path):].lstrip("/")
    return tail + ("?" + url.raw_query_string if url.raw_query_string else "")


def replace_links(
    bundle: dict[str, Any],
    *,
    served_base: URL,
    codec: CursorCodec,
    grant_id: str,
    request: dict[str, Any],
    now: float,
) -> None:
    """Swap every ``Bundle.link`` for a signed proxy cursor URL; drop links that leave the base.

    Runs after the upstream base was rewritten to ``served_base`` (the proxy's FHIR
    base), so each link's tail below it is exactly its tail below the upstream base.
    """
    links = bundle.get("link")
    if not isinstance(links, list):
        return
    kept = []
    for link in links:
        url = link.get("url") if isinstance(link, dict) else None
        tail = tail_below(served_base, url) if isinstance(url, str) else None
        if tail is None:
            continue
        cursor = codec.encode(grant_id, tail, request, now)
        kept.append({**link, "url": str((served_base / "_page").with_query(cursor=cursor))})
    if kept:
        bundle["link"] = kept
    else:
        bundle.pop("link", None)
