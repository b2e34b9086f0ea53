"""Hashing and verifying user passwords and confidential client secrets.

New hashes are always scrypt, written ``scrypt$N$r$p$salt$key`` with the salt and
derived key in standard base64 without padding -- the layout the app registry's
``client_secret_hash`` accepts (``app_registry.schema.SECRET_HASH_PATTERN``).
Parameters follow the OWASP Password Storage Cheat Sheet's scrypt table:
``N=2**15, r=8, p=3`` costs as much CPU as ``N=2**17, r=8, p=1`` but needs 32 MiB
of memory per hash instead of 128 MiB, which matters when several logins run at once.

:func:`verify_secret` also accepts the other layouts the registry allows:

* ``scrypt$n=N,r=R,p=P$salt$key`` (the same scheme, parameters in one field);
* ``$argon2id$v=19$m=...,t=...,p=...$salt$hash`` (PHC string, via argon2-cffi);
* ``pbkdf2_sha256$iterations$salt$hash`` (Django layout: raw salt, padded base64).

Rules (NIST SP 800-63B §5.1.1.2, memorized secret verifiers): secrets are
normalised to Unicode NFKC before hashing, every secret is salted, the comparison
is constant-time.  A malformed or absurdly expensive stored hash (a denial of
service if an attacker could plant one) never raises: it simply does not match.
At most :data:`MAX_CONCURRENT_KDF` derivations run at once in the process, so a
burst of logins cannot exhaust memory; use :func:`verify_secret_async` from
coroutines so the event loop never waits for a KDF.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import unicodedata

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import Argon2Error, InvalidHashError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 3
SALT_BYTES, KEY_BYTES = 16, 32
#: Longest candidate considered at all; anything longer is refused without hashing.
MAX_SECRET_CHARS = 4096
MAX_CONCURRENT_KDF = 4
#: Ceilings on parameters read from a stored hash (memory in bytes, work in N*r*p).
_MAX_MEMORY, _MAX_WORK = 256 * 2**20, 2**23
_MAX_PBKDF2_ITERATIONS = 5_000_000
_MAX_ARGON2_KIB, _MAX_ARGON2_TIME, _MAX_ARGON2_LANES = 2**20, 20, 16
_B64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_SCRYPT_NAMED = re.compile(r"n=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3})")
_kdf_slots = threading.BoundedSemaphore(MAX_CONCURRENT_KDF)
_argon2 = PasswordHasher()


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not; ``ValueError`` when not base64."""
    if not _B64.fullmatch(text):
        raise ValueError("not base64")
    text = text.rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _normalise(secret: str) -> bytes:
    return unicodedata.normalize("NFKC", secret).encode("utf-8")


def _scrypt(secret: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + 1024  # OpenSSL's V and B arrays, plus slack
    with _kdf_slots:
        return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def hash_secret(
    secret: str,
    *,
    n: int = SCRYPT_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
    salt: bytes | None = None,
) -> str:
    """``scrypt$N$r$p$salt$key`` for ``secret``; a fresh 16-byte salt unless one is given.

    Raises ``ValueError`` for an empty secret (nothing legitimate hashes one).
    """
    if not secret:
        raise ValueError("refusing to hash an empty secret")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = _scrypt(_normalise(secret), salt, n, r, p, KEY_BYTES)
    return f"scrypt${n}${r}${p}${_b64encode(salt)}${_b64encode(key)}"


def _scrypt_parts(stored: str) -> tuple[int, int, int, str, str] | None:
    fields = stored.split("$")
    if len(fields) == 6:
        _scheme, n_text, r_text, p_text, salt, key = fields
        if not all(t.isascii() and t.isdigit() and len(t) <= 8 for t in (n_text, r_text, p_text)):
            return None
        return int(n_text), int(r_text), int(p_text), salt, key
    if len(fields) == 4 and (named := _SCRYPT_NAMED.fullmatch(fields[1])):
        n, r, p = (int(group) for group in named.groups())
        return n, r, p, fields[2], fields[3]
    return None


def _verify_scrypt(stored: str, candidate: bytes) -> bool:
    parts = _scrypt_parts(stored)
    if parts is None:
        return False
    n, r, p, salt_text, key_text = parts
    if n < 2 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16:
        return False
    if 128 * r * n > _MAX_MEMORY or n * r * p > _MAX_WORK:
        return False
    salt, expected = _b64decode(salt_text), _b64decode(key_text)
    if not salt or not 12 <= len(expected) <= 64:
        return False
    return hmac.compare_digest(_scrypt(candidate, salt, n, r, p, len(expected)), expected)


def _verify_pbkdf2(stored: str, candidate: bytes) -> bool:
    fields = stored.split("$")
    if len(fields) != 4 or not (fields[1].isascii() and fields[1].isdigit()):
        return False
    iterations, salt, expected = int(fields[1]), fields[2].encode("utf-8"), _b64decode(fields[3])
    if not 1 <= iterations <= _MAX_PBKDF2_ITERATIONS or not salt or len(expected) < 12:
        return False
    with _kdf_slots:
        derived = hashlib.pbkdf2_hmac("sha256", candidate, salt, iterations, len(expected))
    return hmac.compare_digest(derived, expected)


def _verify_argon2(stored: str, candidate: bytes) -> bool:
    params = extract_parameters(stored)
    if (
        params.memory_cost > _MAX_ARGON2_KIB
        or params.time_cost > _MAX_ARGON2_TIME
        or params.parallelism > _MAX_ARGON2_LANES
    ):
        return False
    with _kdf_slots:
        return _argon2.verify(stored, candidate)


def verify_secret(stored_hash: str, candidate: str) -> bool:
    """``True`` only if ``candidate`` matches ``stored_hash``; never raises on bad input."""
    if not isinstance(stored_hash, str) or not isinstance(candidate, str):
        return False
    if not candidate or len(candidate) > MAX_SECRET_CHARS or not stored_hash.isascii():
        return False
    secret = _normalise(candidate)
    try:
        if stored_hash.startswith("scrypt$"):
            return _verify_scrypt(stored_hash, secret)
        if stored_hash.startswith("pbkdf2_sha256$"):
            return _verify_pbkdf2(stored_hash, secret)
        if stored_hash.startswith("$argon2id$"):
            return _verify_argon2(stored_hash, secret)
    except (ValueError, binascii.Error, OverflowError, MemoryError, Argon2Error, InvalidHashError):
        return False
    return False


async def verify_secret_async(stored_hash: str, candidate: str) -> bool:
    """:func:`verify_secret` in a worker thread: the event loop keeps serving."""
    return await asyncio.to_thread(verify_secret, stored_hash, candidate)
