"""Header allow-lists for both directions of the proxy.

Deny by default: only headers named here cross the proxy.  In particular the
app's ``Authorization`` header, cookies, hop-by-hop headers (RFC 9110 §7.6.1) and
any ``X-Forwarded-*``/``Forwarded`` header the client sent never reach the
upstream; the proxy sets its own forwarding headers and its own credential.
Upstream ``WWW-Authenticate`` and ``Set-Cookie`` never reach the app.
"""

from __future__ import annotations

from collections.abc import Mapping

from multidict import CIMultiDict, CIMultiDictProxy

REQUEST_ALLOW = frozenset(
    {
        "accept",
        "accept-language",
        "content-type",
        "if-match",
        "if-none-match",
        "if-modified-since",
        "prefer",
    }
)

RESPONSE_ALLOW = frozenset(
    {
        "content-type",
        "content-language",
        "content-disposition",
        "etag",
        "last-modified",
        "location",
        "content-location",
        "retry-after",
        "x-security-context",
        "preference-applied",
    }
)


def upstream_request_headers(
    incoming: CIMultiDictProxy[str] | Mapping[str, str],
    *,
    authorization: str | None,
    client_ip: str | None,
    public_host: str,
    public_scheme: str,
    request_id: str,
) -> CIMultiDict[str]:
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in incoming.items():
        if name.lower() in REQUEST_ALLOW:
            out.add(name, value)
    if authorization:
        out["Authorization"] = authorization
    if client_ip:
        out["X-Forwarded-For"] = client_ip
    out["X-Forwarded-Host"] = public_host
    out["X-Forwarded-Proto"] = public_scheme
    out["X-Request-Id"] = request_id
    return out


def client_response_headers(upstream: CIMultiDictProxy[str] | Mapping[str, str]) -> CIMultiDict[str]:
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in upstream.items():
        if name.lower() in RESPONSE_ALLOW:
            out.add(name, value)
    return out
