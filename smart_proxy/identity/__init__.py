"""Who is logging in: local users, passwords, login throttling, TOTP step-up and OIDC.

- :mod:`.passwords` -- scrypt hashes for passwords and client secrets, verified off the loop;
- :mod:`.users` -- the local users file (``identity.local_users``) and :class:`UserDirectory`;
- :mod:`.throttle` -- growing delays after failed logins, per account and per IP;
- :mod:`.totp` -- RFC 6238 codes for step-up MFA, with replay guard and throttling;
- :mod:`.oidc` -- login through the portal's OpenID Connect provider;
- :mod:`.cli` -- ``smart-proxy users hash-password``.
"""

from __future__ import annotations

from smart_proxy.identity import totp
from smart_proxy.identity.cli import EmptyPasswordError, add_users_commands, hash_password_command
from smart_proxy.identity.oidc import OidcIdentity, OidcLogin, ProviderMetadata
from smart_proxy.identity.oidc_claims import OidcError, fhir_user_reference
from smart_proxy.identity.passwords import hash_secret, verify_secret, verify_secret_async
from smart_proxy.identity.throttle import (
    ACCOUNT_POLICY,
    IP_POLICY,
    LoginThrottle,
    ThrottlePolicy,
    ThrottleVerdict,
)
from smart_proxy.identity.totp import TotpPolicy
from smart_proxy.identity.users import (
    LocalUser,
    UserDirectory,
    UsersFileError,
    account_key,
    normalize_username,
)

__all__ = [
    "ACCOUNT_POLICY",
    "IP_POLICY",
    "EmptyPasswordError",
    "LocalUser",
    "LoginThrottle",
    "OidcError",
    "OidcIdentity",
    "OidcLogin",
    "ProviderMetadata",
    "ThrottlePolicy",
    "ThrottleVerdict",
    "TotpPolicy",
    "UserDirectory",
    "UsersFileError",
    "account_key",
    "add_users_commands",
    "fhir_user_reference",
    "hash_password_command",
    "hash_secret",
    "normalize_username",
    "totp",
    "verify_secret",
    "verify_secret_async",
]
