"""Password and client-secret hashes: format, known answers, malformed input, registry fit."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from app_registry import load_registry, load_registry_text
from smart_proxy.identity import passwords
from smart_proxy.identity.passwords import hash_secret, verify_secret, verify_secret_async

fast_hash = functools.partial(hash_secret, n=16, r=1, p=1)  # cheap, so table tests stay quick


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


# RFC 7914 §12 scrypt test vector: P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64.
RFC7914_KEY = bytes.fromhex(
    "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
    "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
)
RFC7914_HASH = f"scrypt$1024$8$16${b64(b'NaCl')}${b64(RFC7914_KEY)}"
# RFC 7914 §11 PBKDF2-HMAC-SHA256 vector: P="passwd", S="salt", c=1, dkLen=64 (Django layout).
PBKDF2_KEY = bytes.fromhex(
    "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
    "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
)
PBKDF2_HASH = "pbkdf2_sha256$1$salt$" + base64.b64encode(PBKDF2_KEY).decode()
ARGON2_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("argon-pass")
VALID_KEY = b64(b"k" * 32)
VALID_SALT = b64(b"s" * 16)


def test_a_new_hash_has_the_registry_layout_and_owasp_parameters() -> None:
    stored = hash_secret("correct horse battery staple")
    assert re.fullmatch(r"scrypt\$32768\$8\$3\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}", stored)
    assert verify_secret(stored, "correct horse battery staple") is True
    assert verify_secret(stored, "correct horse battery stapler") is False


def test_a_hash_is_scrypt_of_the_salt_exactly() -> None:
    salt = bytes(range(16))
    expected = hashlib.scrypt(b"s3cret", salt=salt, n=16, r=1, p=1, dklen=32)
    assert fast_hash("s3cret", salt=salt) == f"scrypt$16$1$1${b64(salt)}${b64(expected)}"


def test_each_hash_gets_its_own_salt() -> None:
    first, second = fast_hash("same"), fast_hash("same")
    assert first != second
    assert verify_secret(first, "same") and verify_secret(second, "same")


def test_an_empty_secret_is_never_hashed() -> None:
    with pytest.raises(ValueError, match="empty secret"):
        hash_secret("")


@pytest.mark.parametrize(
    ("stored", "candidate", "expected"),
    [
        (RFC7914_HASH, "password", True),
        (RFC7914_HASH, "Password", False),
        (RFC7914_HASH.replace("$1024$8$16$", "$1024$8$15$"), "password", False),
        (f"scrypt$n=1024,r=8,p=16${b64(b'NaCl')}${b64(RFC7914_KEY)}", "password", True),
        (f"scrypt$1024$8$16${b64(b'NaCl')}${b64(RFC7914_KEY)}==", "password", True),
        (PBKDF2_HASH, "passwd", True),
        (PBKDF2_HASH, "passwd ", False),
        (ARGON2_HASH, "argon-pass", True),
        (ARGON2_HASH, "argon-pas", False),
    ],
)
def test_known_answers_for_every_accepted_scheme(
    stored: str, candidate: str, expected: bool
) -> None:
    assert verify_secret(stored, candidate) is expected


def test_the_demo_registry_client_secret_verifies() -> None:
    registry = load_registry(Path("smart_proxy/demo/apps.yaml"))
    stored = registry["demo-clinician-app"].client_secret_hash
    assert stored is not None
    assert verify_secret(stored, "demo-clinician-secret") is True
    assert verify_secret(stored, "demo-clinician-secret2") is False


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plaintext-password",
        "scrypt",
        "scrypt$",
        f"scrypt$16$1$1${VALID_SALT}",
        f"scrypt$abc$1$1${VALID_SALT}${VALID_KEY}",
        f"scrypt$15$1$1${VALID_SALT}${VALID_KEY}",  # N not a power of two
        f"scrypt$1$1$1${VALID_SALT}${VALID_KEY}",
        f"scrypt$16$0$1${VALID_SALT}${VALID_KEY}",
        f"scrypt$16$1$0${VALID_SALT}${VALID_KEY}",
        f"scrypt$16$33$1${VALID_SALT}${VALID_KEY}",
        f"scrypt$16$1$17${VALID_SALT}${VALID_KEY}",
        f"scrypt$1048576$8$1${VALID_SALT}${VALID_KEY}",  # 1 GiB: refused, not attempted
        f"scrypt$-16$1$1${VALID_SALT}${VALID_KEY}",
        f"scrypt$１６$1$1${VALID_SALT}${VALID_KEY}",  # full-width digits
        f"scrypt$16$1$1$!!!${VALID_KEY}",
        f"scrypt$16$1$1$${VALID_KEY}",
        f"scrypt$16$1$1${VALID_SALT}$",
        f"scrypt$16$1$1${VALID_SALT}${b64(b'short')}",
        f"scrypt$16$1$1${VALID_SALT}${b64(b'x' * 65)}",
        f"scrypt$16$1$1${VALID_SALT}${VALID_KEY}$extra",
        f"scrypt$n=15,r=1,p=1${VALID_SALT}${VALID_KEY}",
        f"scrypt$n=16,r=1${VALID_SALT}${VALID_KEY}",
        f"scrypt$16$1$1${VALID_SALT}${VALID_KEY}\n",
        f"SCRYPT$16$1$1${VALID_SALT}${VALID_KEY}",
        "pbkdf2_sha256$abc$salt$" + VALID_KEY,
        "pbkdf2_sha256$0$salt$" + VALID_KEY,
        "pbkdf2_sha256$99999999$salt$" + VALID_KEY,
        "pbkdf2_sha256$1$$" + VALID_KEY,
        "pbkdf2_sha256$1$salt$not base64!",
        "pbkdf2_sha256$1$salt",
        "pbkdf2_sha1$1$salt$" + VALID_KEY,
        "$argon2id$garbage",
        "$argon2id$v=19$m=2097152,t=1,p=1$c2FsdHNhbHQ$" + VALID_KEY,  # 2 GiB: refused
        "$argon2id$v=19$m=8,t=99,p=1$c2FsdHNhbHQ$" + VALID_KEY,
        ARGON2_HASH.replace("$argon2id$", "$argon2i$"),
        "$2b$12$abcdefghijklmnopqrstuuTgD4pQe2tY9XJrWxDbDh7BpKp3Xq7r6",
        "scrypt$16$1$1$" + VALID_SALT + "$" + "é" * 43,
    ],
)
def test_a_malformed_or_unaffordable_hash_never_matches_and_never_raises(stored: str) -> None:
    assert verify_secret(stored, "password") is False


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("pässword", True),
        ("pa\u0308ssword", True),  # decomposed ä: NFKC makes it the same secret
        ("paﬀword", False),
        ("passwörd", False),
        ("", False),
        ("p" * 4097, False),
    ],
)
def test_candidates_are_nfkc_normalised_and_bounded(candidate: str, expected: bool) -> None:
    stored = fast_hash("pässword")
    assert verify_secret(stored, candidate) is expected


def test_compatibility_ligature_equals_its_letters() -> None:
    assert verify_secret(fast_hash("ﬁne"), "fine") is True


@pytest.mark.parametrize("bad", [None, 12, b"scrypt$16$1$1$x$y"])
def test_non_text_input_never_matches(bad: object) -> None:
    assert verify_secret(bad, "password") is False  # type: ignore[arg-type]
    assert verify_secret(RFC7914_HASH, bad) is False  # type: ignore[arg-type]


def test_a_produced_hash_passes_the_registry_validation() -> None:
    stored = hash_secret("the-client-secret")
    text = f"""\
apps:
  - client_id: confidential.app
    name: Confidential App
    client_type: confidential-symmetric
    client_secret_hash: {stored}
    audience: clinician
    launch_types: [standalone]
    redirect_uris: [https://confidential.example/cb]
    scopes: [openid]
"""
    app = load_registry_text(text, "apps.yaml")["confidential.app"]
    assert app.client_secret_hash == stored
    assert verify_secret(app.client_secret_hash, "the-client-secret") is True


async def test_the_async_wrapper_runs_the_kdf_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[threading.Thread] = []
    real = passwords.verify_secret

    def spy(stored: str, candidate: str) -> bool:
        threads.append(threading.current_thread())
        return real(stored, candidate)

    monkeypatch.setattr(passwords, "verify_secret", spy)
    assert await verify_secret_async(RFC7914_HASH, "password") is True
    assert await verify_secret_async(RFC7914_HASH, "wrong") is False
    assert threads and all(t is not threading.main_thread() for t in threads)
