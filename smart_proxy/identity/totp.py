"""Step-up MFA with time-based one-time passwords (RFC 6238), via pyotp.

Parameters are the RFC 6238 defaults every authenticator app uses: HMAC-SHA1,
30-second steps from the Unix epoch, 6 digits.  Rules:

* a code is exactly six ASCII digits; anything else is simply wrong;
* one step of clock drift either way is accepted (RFC 6238 §5.2 and §6);
* a code that was accepted once is never accepted again (RFC 6238 §5.2: "the
  verifier MUST NOT accept the second attempt of the OTP after the successful
  validation"): the first acceptance ``add``s ``used:<account>:<step>`` to the store;
* wrong codes are throttled (NIST SP 800-63B §5.2.2, ≤ 100 consecutive failures):
  ``max_failures`` wrong codes lock the account's MFA for ``lockout_s``, doubling
  with each lockout within a day; while locked every code is refused unchecked.
  A correct code clears both counts.

Secrets come from the users file (``totp_secret``, pre-enrolled) or from a
runtime enrolment confirmed with a first code and stored in the ``mfa``
namespace.  An enrolment is never replaced by another one: resetting a lost
authenticator is an admin action, or a second factor could be swapped by
whoever holds only the password.  Accounts are keyed by
:func:`~smart_proxy.identity.users.account_key`.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pyotp

from smart_proxy.identity.users import UserDirectory, account_key
from smart_proxy.state import StateStore

NAMESPACE = "mfa"
STEP_S = 30
#: A used code stays remembered past the ±1 step window in which it could be accepted.
REPLAY_TTL_S = 4 * STEP_S
_CODE = re.compile(r"[0-9]{6}")
_DAY = 24 * 3600.0


@dataclass(frozen=True)
class TotpPolicy:
    max_failures: int = 5
    lockout_s: float = 5 * 60.0
    max_lockout_s: float = _DAY
    failure_window_s: float = 15 * 60.0


DEFAULT_POLICY = TotpPolicy()


def new_secret(randbytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh 160-bit secret (the length RFC 4226 §4 recommends), base32 without padding."""
    return base64.b32encode(randbytes(20)).decode("ascii").rstrip("=")


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app scans (as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return None
    try:
        totp = pyotp.TOTP(secret)
        current = int(now // STEP_S)
        candidates = [
            (step, totp.generate_otp(step)) for step in (current - 1, current, current + 1)
        ]
    except (ValueError, TypeError):  # not base32, or too short for pyotp
        return None
    matched = None
    for step, expected in candidates:  # compare all three: no early exit
        if hmac.compare_digest(expected, code):
            matched = step
    return matched


async def locked_for(store: StateStore, username: str, now: float) -> float:
    """Seconds until this account may try a code again (0 when not locked)."""
    lock = await store.get(NAMESPACE, "lock:" + account_key(username))
    return max(float(lock["until"]) - now, 0.0) if lock is not None else 0.0


async def _count_failure(store: StateStore, account: str, now: float, policy: TotpPolicy) -> None:
    failures = await store.incr(NAMESPACE, "fail:" + account, ttl=policy.failure_window_s)
    if failures < policy.max_failures:
        return
    lockouts = await store.incr(NAMESPACE, "lockouts:" + account, ttl=_DAY)
    duration = min(policy.lockout_s * 2 ** min(lockouts - 1, 32), policy.max_lockout_s)
    await store.put(NAMESPACE, "lock:" + account, {"until": now + duration}, ttl=duration)
    await store.delete(NAMESPACE, "fail:" + account)


async def verify(
    store: StateStore,
    username: str,
    secret: str,
    code: str,
    now: float,
    *,
    policy: TotpPolicy = DEFAULT_POLICY,
) -> bool:
    """Whether ``code`` is a fresh, valid code for ``secret`` at POSIX time ``now``."""
    account = account_key(username)
    if await locked_for(store, username, now) > 0:
        return False
    step = _matching_step(secret, code, now)
    if step is not None and await store.add(
        NAMESPACE, f"used:{account}:{step}", {"at": now}, ttl=REPLAY_TTL_S
    ):
        await store.delete(NAMESPACE, "fail:" + account)
        await store.delete(NAMESPACE, "lockouts:" + account)
        return True
    await _count_failure(store, account, now, policy)
    return False


async def enrol(
    store: StateStore,
    username: str,
    secret: str,
    code: str,
    now: float,
    *,
    policy: TotpPolicy = DEFAULT_POLICY,
) -> bool:
    """Store ``secret`` for ``username`` once ``code`` proves the authenticator has it.

    ``False`` (nothing stored) when the code is wrong, replayed or throttled, or
    when the account already has a runtime enrolment.  Callers check
    :func:`is_enrolled` first, which also sees secrets from the users file.
    """
    key = "secret:" + account_key(username)
    if await store.get(NAMESPACE, key) is not None:
        return False
    if not await verify(store, username, secret, code, now, policy=policy):
        return False
    return await store.add(NAMESPACE, key, {"secret": secret, "enrolled_at": now})


async def enrolled_secret(
    store: StateStore, directory: UserDirectory | None, username: str
) -> str | None:
    """The TOTP secret for ``username``: the users file's, else the runtime enrolment's."""
    user = directory.get(username) if directory is not None else None
    if user is not None and user.totp_secret:
        return user.totp_secret
    stored = await store.get(NAMESPACE, "secret:" + account_key(username))
    return str(stored["secret"]) if stored is not None else None


async def is_enrolled(store: StateStore, directory: UserDirectory | None, username: str) -> bool:
    """Whether ``username`` has a second factor (pre-enrolled or enrolled at runtime)."""
    return await enrolled_secret(store, directory, username) is not None
