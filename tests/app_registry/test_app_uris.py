"""URI rules: redirect (RFC 6749 3.1.2, RFC 8252 7), launch, and https-only URIs."""

from __future__ import annotations

import pytest

from app_registry.uris import (
    https_uri_problem,
    is_loopback,
    launch_uri_problem,
    redirect_uri_problem,
)

NEEDS_HTTPS = "must use https (http is allowed only for loopback)"
SCHEME_HELP = (
    "must use https, http on a loopback host, or a private-use scheme"
    " such as com.example.app:/callback (RFC 8252 §7.1)"
)


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example/callback",
        "https://app.example:8443/cb?tenant=1",
        "https://APP.example/cb",
        "HTTPS://app.example/cb",
        "https://192.0.2.10/cb",
        "http://127.0.0.1:9999/callback",
        "http://127.0.0.1/callback",
        "http://[::1]:9999/callback",
        "http://localhost:9999/callback",
        "http://LOCALHOST:9999/callback",
        "https://localhost/cb",
        "com.example.app:/callback",
        "com.example.app:/oauth2redirect/example-provider",
        "com.example.app://callback",
        "org.example.health-app:/cb",
    ],
)
def test_redirect_uris_accepted(uri: str) -> None:
    assert redirect_uri_problem(uri) is None


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://app.example/cb", NEEDS_HTTPS),
        ("http://10.0.0.1/cb", NEEDS_HTTPS),
        ("http://127.0.0.2/cb", NEEDS_HTTPS),
        ("http://localhost.evil.example/cb", NEEDS_HTTPS),
        ("http://127.0.0.1.nip.io/cb", NEEDS_HTTPS),
        ("https://app.example/cb#frag", "must not contain a fragment (RFC 6749 §3.1.2)"),
        ("https://app.example/cb#", "must not contain a fragment (RFC 6749 §3.1.2)"),
        ("com.example.app:/cb#x", "must not contain a fragment (RFC 6749 §3.1.2)"),
        ("https://user:pw@app.example/cb", "must not contain user info"),
        ("https://*.app.example/cb", "must not contain wildcards"),
        ("https:///cb", "has no host"),
        ("https:cb", "has no host"),
        ("javascript:alert(1)", SCHEME_HELP),
        ("data:text/html,hi", SCHEME_HELP),
        ("file:///etc/passwd", SCHEME_HELP),
        ("ftp://app.example/cb", SCHEME_HELP),
        ("myapp:/callback", SCHEME_HELP),
        ("com.example.app:", "needs a path after the scheme, e.g. com.example.app:/callback"),
        ("com.example.app:/", "needs a path after the scheme, e.g. com.example.app:/callback"),
        ("/callback", "is not an absolute URI"),
        ("app.example/cb", "is not an absolute URI"),
        ("", "is not an absolute URI"),
        ("https://app.example/c b", "contains whitespace or control characters"),
        ("https://app.example/cb\n", "contains whitespace or control characters"),
        ("https://app.example/\x00", "contains whitespace or control characters"),
        ("http://[::1/cb", "is not a valid URI"),
        ("https://app.example:99999/cb", "is not a valid URI"),
        ("https://app.example:port/cb", "is not a valid URI"),
    ],
)
def test_redirect_uris_refused(uri: str, message: str) -> None:
    assert redirect_uri_problem(uri) == f"{uri!r} {message}"


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://app.example/launch", None),
        ("http://127.0.0.1:9998/launch", None),
        ("http://app.example/launch", NEEDS_HTTPS),
        ("https://app.example/launch#x", "must not contain a fragment"),
        ("com.example.app:/launch", NEEDS_HTTPS),
    ],
)
def test_launch_uri(uri: str, problem: str | None) -> None:
    assert launch_uri_problem(uri) == (None if problem is None else f"{uri!r} {problem}")


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://app.example/privacy", None),
        ("https://app.example/privacy#section-2", None),
        ("http://app.example/privacy", "must use https"),
        ("http://127.0.0.1/jwks", "must use https"),
        ("https://u@app.example/jwks", "must not contain user info"),
        ("mailto:privacy@app.example", "must use https"),
        ("privacy", "is not an absolute URI"),
    ],
)
def test_https_uri(uri: str, problem: str | None) -> None:
    assert https_uri_problem(uri) == (None if problem is None else f"{uri!r} {problem}")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://127.0.0.1:1/cb", True),
        ("http://[::1]/cb", True),
        ("https://localhost/cb", True),
        ("http://127.0.0.2/cb", False),
        ("http://localhost.example/cb", False),
        ("com.example.app:/cb", False),
        ("not a uri", False),
    ],
)
def test_is_loopback(uri: str, expected: bool) -> None:
    assert is_loopback(uri) is expected
