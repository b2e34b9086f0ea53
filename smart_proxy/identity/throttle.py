"""Login throttling per account and per client IP, with growing delays.

NIST SP 800-63B §5.2.2 ("Rate Limiting (Throttling)") requires a verifier to limit
consecutive failed authentication attempts on an account to no more than 100,
and suggests growing waits between attempts rather than hard lockouts, which let
anyone lock a victim out.  The regulatory notes (IDN-04) add a per-IP limit.

Policy per key (account or IP): the first ``free_attempts`` failures cost nothing;
failure number ``free_attempts + k`` makes the next attempt wait
``min(base_delay_s * 2**(k-1), max_delay_s)``; after ``hard_limit`` failures the key
is locked until its counting window ends.  A window starts at the first failure
and lasts ``window_s`` (the store's counter TTL); success clears the account's
counters but never the IP's, or one valid account would reset an attacker's IP.

The submitted username is throttled whether or not the account exists, with the
same counters and delays, so throttling never reveals which accounts exist.  The
account key is a SHA-256 of the normalised username; an IPv6 client is counted by
its /64 network (one subscriber usually owns a whole /64).

Counters use the store's atomic ``incr``; the last failure's time (from the
injected clock) and count are kept beside them, so delays follow ``clock`` on
every backend.  Two racing failures may record the smaller count last: the
delay is then one step short, never skipped.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from smart_proxy.identity.users import account_key
from smart_proxy.state import StateStore

COUNTERS, LAST = "login-fail", "login-last"


@dataclass(frozen=True)
class ThrottlePolicy:
    free_attempts: int
    base_delay_s: float = 1.0
    max_delay_s: float = 15 * 60.0
    hard_limit: int = 100
    window_s: float = 24 * 3600.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (before the hard limit)."""
        if failures <= self.free_attempts:
            return 0.0
        exponent = min(failures - self.free_attempts - 1, 64)
        return float(min(self.base_delay_s * 2**exponent, self.max_delay_s))


ACCOUNT_POLICY = ThrottlePolicy(free_attempts=5)
IP_POLICY = ThrottlePolicy(free_attempts=20, hard_limit=1000)


@dataclass(frozen=True)
class ThrottleVerdict:
    allowed: bool
    retry_after_s: float = 0.0


def ip_key(ip: str) -> str:
    """``ip:`` + the address (IPv4) or its /64 (IPv6); unparseable text is hashed."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "ip:?" + hashlib.sha256(ip.encode("utf-8", "replace")).hexdigest()[:32]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"ip:{address}"


class LoginThrottle:
    """``check`` before verifying a password; report the outcome with ``failure``/``success``."""

    def __init__(
        self,
        store: StateStore,
        clock: Callable[[], float],
        *,
        account: ThrottlePolicy = ACCOUNT_POLICY,
        ip: ThrottlePolicy = IP_POLICY,
    ) -> None:
        self._store = store
        self._clock = clock
        self._account = account
        self._ip = ip

    def _keys(self, username: str, ip: str) -> tuple[tuple[str, ThrottlePolicy], ...]:
        return (("acct:" + account_key(username), self._account), (ip_key(ip), self._ip))

    async def _wait(self, key: str, policy: ThrottlePolicy, now: float) -> float:
        last = await self._store.get(LAST, key)
        if last is None:
            return 0.0
        failures, at = int(last["n"]), float(last["at"])
        if failures >= policy.hard_limit:
            remaining = await self._store.ttl(LAST, key)
            return max(remaining if remaining is not None else policy.window_s, 1.0)
        return max(at + policy.delay(failures) - now, 0.0)

    async def check(self, username: str, ip: str) -> ThrottleVerdict:
        """May this attempt proceed now?  If not, how long until it may."""
        now = self._clock()
        waits = [await self._wait(key, policy, now) for key, policy in self._keys(username, ip)]
        wait = max(waits)
        return ThrottleVerdict(allowed=wait <= 0.0, retry_after_s=wait)

    async def failure(self, username: str, ip: str) -> None:
        """Count a failed attempt against the account and the IP."""
        now = self._clock()
        for key, policy in self._keys(username, ip):
            failures = await self._store.incr(COUNTERS, key, ttl=policy.window_s)
            remaining = await self._store.ttl(COUNTERS, key)
            ttl = remaining if remaining is not None and remaining > 0 else policy.window_s
            await self._store.put(LAST, key, {"n": failures, "at": now}, ttl=ttl)

    async def success(self, username: str, ip: str) -> None:
        """A correct login: the account starts afresh (the IP's count stays)."""
        key = "acct:" + account_key(username)
        await self._store.delete(COUNTERS, key)
        await self._store.delete(LAST, key)
