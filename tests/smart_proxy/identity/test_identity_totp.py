"""TOTP step-up (RFC 6238) on both store backends: codes, window, replay, throttling, enrolment."""

from __future__ import annotations

import pyotp
import pytest

from smart_proxy.identity import UserDirectory, hash_secret, totp
from smart_proxy.state import StateStore

from .conftest import START, FakeClock

# RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890" in base32.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(when: float, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(when)


@pytest.mark.parametrize(
    ("when", "code"),
    [
        # the last six digits of Appendix B's eight-digit SHA-1 values
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
async def test_rfc_6238_appendix_b_vectors(id_store: StateStore, when: float, code: str) -> None:
    assert await totp.verify(id_store, "amy", RFC_SECRET, code, when) is True


@pytest.mark.parametrize(
    ("steps_off", "accepted"),
    [(-3, False), (-2, False), (-1, True), (0, True), (1, True), (2, False), (3, False)],
)
async def test_one_step_of_drift_either_way(
    id_store: StateStore, steps_off: int, accepted: bool
) -> None:
    code = code_at(START + 30 * steps_off)
    assert await totp.verify(id_store, "amy", SECRET, code, START + 10) is accepted


def _variants(code: str) -> list[str]:
    fullwidth = "".join(chr(ord(c) - ord("0") + ord("０")) for c in code)
    arabic = "".join(chr(ord(c) - ord("0") + 0x660) for c in code)
    return [
        "",
        code[:5],
        code + "0",
        " " + code,
        code + " ",
        code + "\n",
        code[:3] + " " + code[3:],
        code[:3] + "-" + code[3:],
        fullwidth,
        arabic,
        "+" + code[1:],
        "12345a",
    ]


@pytest.mark.parametrize("index", range(12))
async def test_anything_but_six_ascii_digits_is_wrong(id_store: StateStore, index: int) -> None:
    bad = _variants(code_at(START))[index]
    assert await totp.verify(id_store, "amy", SECRET, bad, START) is False


@pytest.mark.parametrize("secret", ["not base32!", "JBSWY3DP", "", "jbswy3dp%%"])
async def test_an_unusable_secret_never_raises(id_store: StateStore, secret: str) -> None:
    assert await totp.verify(id_store, "amy", secret, "123456", START) is False


async def test_a_code_is_accepted_only_once(id_store: StateStore) -> None:
    code = code_at(START)
    assert await totp.verify(id_store, "amy", SECRET, code, START) is True
    assert await totp.verify(id_store, "amy", SECRET, code, START + 1) is False
    assert await totp.verify(id_store, "AMY", SECRET, code, START + 31) is False  # still in window
    assert await totp.verify(id_store, "omar", SECRET, code, START) is True  # another account
    assert await totp.verify(id_store, "amy", SECRET, code_at(START + 30), START + 31) is True


async def test_wrong_codes_lock_the_account_with_growing_lockouts(
    id_store: StateStore, clock: FakeClock
) -> None:
    for _ in range(4):
        assert await totp.verify(id_store, "amy", SECRET, "000000", clock()) is False
    assert await totp.locked_for(id_store, "amy", clock()) == 0.0
    assert await totp.verify(id_store, "amy", SECRET, "000000", clock()) is False
    assert await totp.locked_for(id_store, "amy", clock()) == 300.0
    assert await totp.verify(id_store, "amy", SECRET, code_at(clock()), clock()) is False
    clock.advance(299)
    assert await totp.locked_for(id_store, "amy", clock()) == 1.0
    clock.advance(1)
    assert await totp.locked_for(id_store, "Amy", clock()) == 0.0
    for _ in range(5):
        await totp.verify(id_store, "amy", SECRET, "000000", clock())
    assert await totp.locked_for(id_store, "amy", clock()) == 600.0  # the second lockout doubles
    assert await totp.locked_for(id_store, "omar", clock()) == 0.0
    clock.advance(600)
    assert await totp.verify(id_store, "amy", SECRET, code_at(clock()), clock()) is True
    for _ in range(5):
        await totp.verify(id_store, "amy", SECRET, "000000", clock())
    assert await totp.locked_for(id_store, "amy", clock()) == 300.0  # a success reset the growth


async def test_a_correct_code_clears_the_failure_count(
    id_store: StateStore, clock: FakeClock
) -> None:
    for _ in range(4):
        await totp.verify(id_store, "amy", SECRET, "000000", clock())
    assert await totp.verify(id_store, "amy", SECRET, code_at(clock()), clock()) is True
    for _ in range(4):
        await totp.verify(id_store, "amy", SECRET, "000000", clock())
    assert await totp.locked_for(id_store, "amy", clock()) == 0.0


async def test_a_replayed_code_counts_as_a_failure(id_store: StateStore, clock: FakeClock) -> None:
    policy = totp.TotpPolicy(max_failures=2)
    code = code_at(clock())
    assert await totp.verify(id_store, "amy", SECRET, code, clock(), policy=policy) is True
    for _ in range(2):
        assert await totp.verify(id_store, "amy", SECRET, code, clock(), policy=policy) is False
    assert await totp.locked_for(id_store, "amy", clock()) == 300.0


def test_new_secrets_are_160_bit_base32() -> None:
    assert totp.new_secret(lambda n: bytes(range(n))) == "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT"
    first, second = totp.new_secret(), totp.new_secret()
    assert (
        first != second
        and len(first) == 32
        and set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    )


def test_provisioning_uri() -> None:
    assert totp.provisioning_uri(RFC_SECRET, "amy@example.org", "Example Health") == (
        "otpauth://totp/Example%20Health:amy%40example.org"
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Health"
    )


def directory() -> UserDirectory:
    stored = hash_secret("pw", n=16, r=1, p=1)
    return UserDirectory.from_text(
        "users:\n"
        f"  - {{username: omar, password_hash: '{stored}', fhir_user: Patient/p3,"
        f" display_name: Omar, totp_secret: {RFC_SECRET}}}\n"
        f"  - {{username: amy, password_hash: '{stored}', fhir_user: Patient/p1,"
        " display_name: Amy}\n"
    )


async def test_enrolment_needs_a_correct_first_code(id_store: StateStore, clock: FakeClock) -> None:
    users = directory()
    assert await totp.is_enrolled(id_store, users, "amy") is False
    assert await totp.enrol(id_store, "amy", SECRET, "000000", clock()) is False
    assert await totp.is_enrolled(id_store, users, "amy") is False
    code = code_at(clock())
    assert await totp.enrol(id_store, "amy", SECRET, code, clock()) is True
    assert await totp.is_enrolled(id_store, users, "AMY") is True
    assert await totp.enrolled_secret(id_store, users, "amy") == SECRET
    assert await totp.is_enrolled(id_store, None, "amy") is True  # an OIDC-only deployment
    assert await totp.verify(id_store, "amy", SECRET, code, clock()) is False  # already used


async def test_an_enrolment_is_never_replaced(id_store: StateStore, clock: FakeClock) -> None:
    assert await totp.enrol(id_store, "amy", SECRET, code_at(clock()), clock()) is True
    other = totp.new_secret()
    clock.advance(30)
    assert await totp.enrol(id_store, "amy", other, code_at(clock(), other), clock()) is False
    assert await totp.enrolled_secret(id_store, None, "amy") == SECRET


async def test_a_pre_enrolled_secret_comes_from_the_users_file(id_store: StateStore) -> None:
    users = directory()
    assert await totp.is_enrolled(id_store, users, "omar") is True
    assert await totp.enrolled_secret(id_store, users, "Omar") == RFC_SECRET
    assert await totp.is_enrolled(id_store, users, "nobody") is False
    assert await totp.enrolled_secret(id_store, None, "omar") is None
