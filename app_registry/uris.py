"""Which URIs an app may register.

* ``redirect_uris`` (RFC 6749 §3.1.2, RFC 8252 §7, SMART App Launch "Register App
  with EHR"): absolute, no fragment, and one of

  - ``https://host/...`` (web apps, and claimed https redirects for native apps,
    RFC 8252 §7.2);
  - ``http://`` on a loopback host -- ``127.0.0.1``, ``[::1]`` or ``localhost`` --
    for native and development apps (RFC 8252 §7.3);
  - a private-use scheme that is a reverse domain name, ``com.example.app:/callback``
    (RFC 8252 §7.1).

  Redirect URIs are then matched by exact string comparison.  RFC 8252 §7.3 lets a
  native app pick any loopback port at request time; this registry deliberately
  does not (SMART requires a pre-registered, fully-specified redirect URI), so an
  app registers each port it uses.
* ``launch_uri``: https, or http on a loopback host; no fragment (the EHR appends
  ``iss`` and ``launch`` query parameters).
* ``jwks_uri``, ``logo_uri``, policy and home pages: https only (the proxy fetches
  or displays them).

Each function returns a message for the admin, or None when the URI is fine.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_NEEDS_HTTPS = "must use https (http is allowed only for loopback)"


def _split(uri: str) -> SplitResult | str:
    """Split an absolute URI, or say why it is not one."""
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in uri):
        return f"{uri!r} contains whitespace or control characters"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError:
        return f"{uri!r} is not a valid URI"
    if not parts.scheme or not uri.lower().startswith(f"{parts.scheme.lower()}:"):
        return f"{uri!r} is not an absolute URI"
    return parts


def _web_problem(uri: str, parts: SplitResult) -> str | None:
    """Checks shared by every http(s) URI: a real host, no user info, no wildcard."""
    if "@" in parts.netloc:
        return f"{uri!r} must not contain user info"
    if "*" in parts.netloc:
        return f"{uri!r} must not contain wildcards"
    if not parts.hostname:
        return f"{uri!r} has no host"
    return None


def is_loopback(uri: str) -> bool:
    """True for an ``http(s)`` URI whose host is 127.0.0.1, [::1] or localhost."""
    parts = _split(uri)
    if isinstance(parts, str) or parts.scheme.lower() not in ("http", "https"):
        return False
    return (parts.hostname or "").lower() in LOOPBACK_HOSTS


def https_uri_problem(uri: str) -> str | None:
    """For URIs the proxy fetches or shows to users: https only."""
    parts = _split(uri)
    if isinstance(parts, str):
        return parts
    if parts.scheme.lower() != "https":
        return f"{uri!r} must use https"
    return _web_problem(uri, parts)


def launch_uri_problem(uri: str) -> str | None:
    """For ``launch_uri``: https, or http on a loopback host; no fragment."""
    parts = _split(uri)
    if isinstance(parts, str):
        return parts
    if parts.fragment or "#" in uri:
        return f"{uri!r} must not contain a fragment"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"{uri!r} {_NEEDS_HTTPS}"
    problem = _web_problem(uri, parts)
    if problem is None and scheme == "http" and not is_loopback(uri):
        return f"{uri!r} {_NEEDS_HTTPS}"
    return problem


def redirect_uri_problem(uri: str) -> str | None:
    """For each of ``redirect_uris`` (RFC 6749 §3.1.2, RFC 8252 §7.1-7.3)."""
    parts = _split(uri)
    if isinstance(parts, str):
        return parts
    if "#" in uri:
        return f"{uri!r} must not contain a fragment (RFC 6749 §3.1.2)"
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return launch_uri_problem(uri)
    if "." not in scheme:
        return (
            f"{uri!r} must use https, http on a loopback host, or a private-use scheme"
            " such as com.example.app:/callback (RFC 8252 §7.1)"
        )
    if not uri[len(scheme) + 1 :].strip("/"):
        return f"{uri!r} needs a path after the scheme, e.g. {scheme}:/callback"
    return None
