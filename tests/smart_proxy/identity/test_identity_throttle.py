"""Login throttling on both store backends, driven by a fake clock."""

from __future__ import annotations

import secrets

import pytest
import redis.asyncio as aioredis

from smart_proxy.identity.throttle import (
    ACCOUNT_POLICY,
    IP_POLICY,
    LoginThrottle,
    ThrottlePolicy,
    ThrottleVerdict,
    ip_key,
)
from smart_proxy.identity.users import account_key
from smart_proxy.state import MemoryStore, RedisStore, StateStore
from tests.redis_store import REDIS_URL

from .conftest import FakeClock

IP = "203.0.113.7"


async def fail(throttle: LoginThrottle, times: int, username: str = "amy", ip: str = IP) -> None:
    for _ in range(times):
        await throttle.failure(username, ip)


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (0, 0.0),
        (1, 0.0),
        (5, 0.0),
        (6, 1.0),
        (7, 2.0),
        (8, 4.0),
        (10, 16.0),
        (14, 256.0),
        (15, 512.0),
        (16, 900.0),
        (99, 900.0),
        (10_000, 900.0),
    ],
)
def test_account_delays_grow_exponentially_after_five_free_failures(
    failures: int, delay: float
) -> None:
    assert ACCOUNT_POLICY.delay(failures) == delay


@pytest.mark.parametrize(
    ("failures", "delay"), [(20, 0.0), (21, 1.0), (22, 2.0), (30, 512.0), (31, 900.0)]
)
def test_ip_delays_start_later(failures: int, delay: float) -> None:
    assert IP_POLICY.delay(failures) == delay


@pytest.mark.parametrize(
    ("failures", "verdict"),
    [
        (0, ThrottleVerdict(True, 0.0)),
        (4, ThrottleVerdict(True, 0.0)),
        (5, ThrottleVerdict(True, 0.0)),
        (6, ThrottleVerdict(False, 1.0)),
        (7, ThrottleVerdict(False, 2.0)),
        (9, ThrottleVerdict(False, 8.0)),
        (12, ThrottleVerdict(False, 64.0)),
    ],
)
async def test_verdict_after_consecutive_failures(
    id_store: StateStore, clock: FakeClock, failures: int, verdict: ThrottleVerdict
) -> None:
    throttle = LoginThrottle(id_store, clock)
    await fail(throttle, failures)
    assert await throttle.check("amy", IP) == verdict


async def test_the_wait_runs_down_with_the_clock(id_store: StateStore, clock: FakeClock) -> None:
    throttle = LoginThrottle(id_store, clock)
    await fail(throttle, 8)
    assert await throttle.check("amy", IP) == ThrottleVerdict(False, 4.0)
    clock.advance(2.5)
    assert await throttle.check("amy", IP) == ThrottleVerdict(False, 1.5)
    clock.advance(1.5)
    assert await throttle.check("amy", IP) == ThrottleVerdict(True, 0.0)
    await throttle.failure("amy", IP)  # the 9th failure doubles the wait, counted from now
    assert await throttle.check("amy", IP) == ThrottleVerdict(False, 8.0)


async def test_success_resets_the_account_but_not_the_ip(
    id_store: StateStore, clock: FakeClock
) -> None:
    ip_policy = ThrottlePolicy(free_attempts=7)
    throttle = LoginThrottle(id_store, clock, ip=ip_policy)
    await fail(throttle, 8)
    assert await throttle.check("amy", IP) == ThrottleVerdict(False, 4.0)
    await throttle.success("amy", IP)
    assert await throttle.check("amy", IP) == ThrottleVerdict(False, 1.0)  # the IP's 8th
    assert await throttle.check("amy", "198.51.100.1") == ThrottleVerdict(True, 0.0)
    await throttle.failure("amy", "198.51.100.1")
    assert await throttle.check("amy", "198.51.100.1") == ThrottleVerdict(True, 0.0)


@pytest.mark.parametrize("variant", ["amy", "AMY", "Amy", "ａｍｙ"])
async def test_username_spellings_share_one_account(
    id_store: StateStore, clock: FakeClock, variant: str
) -> None:
    throttle = LoginThrottle(id_store, clock)
    await fail(throttle, 3, username="Amy")
    await fail(throttle, 3, username=variant, ip="198.51.100.9")
    assert await throttle.check("amy", "192.0.2.1") == ThrottleVerdict(False, 1.0)


async def test_unknown_and_known_usernames_are_throttled_alike(
    id_store: StateStore, clock: FakeClock
) -> None:
    throttle = LoginThrottle(id_store, clock)
    verdicts: list[ThrottleVerdict] = []
    for name in ("amy", "no-such-user-anywhere"):
        await fail(throttle, 7, username=name, ip=f"192.0.2.{len(verdicts) + 1}")
        verdicts.append(await throttle.check(name, "192.0.2.99"))
    assert verdicts == [ThrottleVerdict(False, 2.0), ThrottleVerdict(False, 2.0)]


async def test_one_ip_failing_across_many_accounts_is_throttled(
    id_store: StateStore, clock: FakeClock
) -> None:
    throttle = LoginThrottle(id_store, clock)
    for i in range(22):
        await throttle.failure(f"user{i}", IP)
    assert await throttle.check("fresh-user", IP) == ThrottleVerdict(False, 2.0)
    assert await throttle.check("fresh-user", "198.51.100.1") == ThrottleVerdict(True, 0.0)
    assert await throttle.check("user0", "198.51.100.1") == ThrottleVerdict(True, 0.0)


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.7", "ip:203.0.113.7"),
        (" 203.0.113.7 ", "ip:203.0.113.7"),
        ("2001:db8::1", "ip:2001:db8::/64"),
        ("2001:db8::ffff:1", "ip:2001:db8::/64"),
        ("2001:DB8:0:0:1::", "ip:2001:db8::/64"),
        ("2001:db8:0:1::1", "ip:2001:db8:0:1::/64"),
        ("::ffff:203.0.113.7", "ip:203.0.113.7"),
        ("::1", "ip:::/64"),
    ],
)
def test_ip_keys_group_ipv6_by_64(ip: str, key: str) -> None:
    assert ip_key(ip) == key


def test_unparseable_ips_are_hashed_not_stored() -> None:
    key = ip_key("not an ip; DROP TABLE")
    assert key.startswith("ip:?") and len(key) == 36 and "DROP" not in key
    assert ip_key("not an ip; DROP TABLE") == key != ip_key("other junk")


async def test_the_hard_limit_locks_until_the_window_ends(
    id_store: StateStore, clock: FakeClock
) -> None:
    account = ThrottlePolicy(free_attempts=2, base_delay_s=1, hard_limit=5, window_s=3600)
    throttle = LoginThrottle(id_store, clock, account=account)
    await fail(throttle, 4)
    assert await throttle.check("amy", IP) == ThrottleVerdict(False, 2.0)
    await throttle.failure("amy", IP)
    verdict = await throttle.check("amy", IP)
    assert verdict.allowed is False
    assert verdict.retry_after_s == pytest.approx(3600, abs=5)
    clock.advance(10)  # the growing delay has passed, the lock has not
    assert (await throttle.check("amy", IP)).allowed is False


async def test_counts_expire_with_the_window() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(MemoryStore(clock=clock), clock)
    await fail(throttle, 10)
    assert await throttle.check("amy", IP) == ThrottleVerdict(False, 16.0)
    clock.advance(ACCOUNT_POLICY.window_s)
    assert await throttle.check("amy", IP) == ThrottleVerdict(True, 0.0)
    await throttle.failure("amy", IP)
    assert await throttle.check("amy", IP) == ThrottleVerdict(True, 0.0)


@pytest.mark.redis
async def test_redis_keys_hold_no_username_and_expire(clock: FakeClock) -> None:
    prefix = f"sp-test-identity:{secrets.token_hex(8)}:"
    store = RedisStore(REDIS_URL, prefix=prefix)
    raw = aioredis.from_url(REDIS_URL)
    try:
        await LoginThrottle(store, clock).failure("Amy.Secret@example.org", IP)
        keys = sorted([k.decode() async for k in raw.scan_iter(match=f"{prefix}*")])
        acct = account_key("amy.secret@example.org")
        assert keys == [
            f"{prefix}login-fail:acct:{acct}",
            f"{prefix}login-fail:ip:{IP}",
            f"{prefix}login-last:acct:{acct}",
            f"{prefix}login-last:ip:{IP}",
        ]
        for key in keys:
            assert 0 < await raw.ttl(key) <= 24 * 3600
    finally:
        await store.close()
        keys = [k async for k in raw.scan_iter(match=f"{prefix}*")]
        if keys:
            await raw.delete(*keys)
        await raw.aclose()
