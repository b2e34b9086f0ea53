"""How long each credential lives; pure arithmetic, time passed in (POSIX seconds).

* **Access tokens**: at most one hour (SMART 2.2 best practice, checklist item 55;
  the registry caps ``access_token_seconds`` at 3600); an app's
  ``token_lifetimes.access_token_seconds`` may lower it.  Backend Services tokens
  live at most five minutes (SMART Backend Services: ``expires_in`` SHOULD be
  ≤ 300).  Never beyond the consent's expiry.
* **Refresh tokens with ``offline_access``**: :data:`OFFLINE_REFRESH_DAYS` (90,
  the §170.315(g)(10) "at least three months") unless the app's registry entry
  sets ``refresh_token_days`` (an admin decision the vetting report flags when it
  is under 90 for patient apps).  Each refresh issues a new refresh token for a
  *new* full period (ONC "renewal without re-authentication").
* **Refresh tokens with ``online_access`` only**: :data:`ONLINE_REFRESH_S`
  (12 hours) from the first token, and *not* renewed by refreshing: SMART says
  such a token is usable only while the user's session lasts, and the proxy does
  not track sessions beyond the sign-in, so a fixed working-day window stands in.
* Every refresh token ends at the consent's expiry (if the consent has one) and,
  of course, when the consent or the family is revoked (checked on each use).
* Authorization codes: the app's ``authorization_code_seconds`` or ``CODE_TTL_S``.
"""

from __future__ import annotations

from collections.abc import Iterable

from app_registry import RegisteredApp

from .records import CODE_TTL_S

ACCESS_TOKEN_MAX_S = 3600
BACKEND_TOKEN_MAX_S = 300
OFFLINE_REFRESH_DAYS = 90
ONLINE_REFRESH_S = 12 * 3600
DAY_S = 24 * 3600


def access_token_seconds(app: RegisteredApp) -> int:
    configured = app.token_lifetimes.access_token_seconds
    return min(ACCESS_TOKEN_MAX_S, configured or ACCESS_TOKEN_MAX_S)


def backend_token_seconds(app: RegisteredApp) -> int:
    configured = app.token_lifetimes.access_token_seconds
    return min(BACKEND_TOKEN_MAX_S, configured or BACKEND_TOKEN_MAX_S)


def code_seconds(app: RegisteredApp) -> int:
    return app.token_lifetimes.authorization_code_seconds or CODE_TTL_S


def wants_refresh_token(scopes: Iterable[str]) -> bool:
    granted = set(scopes)
    return "offline_access" in granted or "online_access" in granted


def refresh_expiry(
    app: RegisteredApp,
    scopes: Iterable[str],
    now: float,
    *,
    previous_expiry: float | None = None,
    consent_expiry: float | None = None,
) -> float:
    """When a refresh token issued at ``now`` stops working.

    ``previous_expiry`` is the expiry of the refresh token being rotated (``None``
    on the first issue); an online-only token keeps it, an offline one renews.
    """
    if "offline_access" in set(scopes):
        days = app.token_lifetimes.refresh_token_days or OFFLINE_REFRESH_DAYS
        expiry = now + days * DAY_S
    elif previous_expiry is not None:
        expiry = previous_expiry
    else:
        expiry = now + ONLINE_REFRESH_S
    return expiry if consent_expiry is None else min(expiry, consent_expiry)


def capped(expiry: float, consent_expiry: float | None) -> float:
    return expiry if consent_expiry is None else min(expiry, consent_expiry)
