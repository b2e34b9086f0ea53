"""Reading the form body of the token, introspection and revocation endpoints.

* RFC 6749 §3.2 (token endpoint) and SMART 2.2 "Obtain access token": the body is
  ``application/x-www-form-urlencoded``; anything else is ``invalid_request``
  (RFC 7662 §2.1 and RFC 7009 §2.1 use the same encoding).
* RFC 6749 §3.1/§3.2: "Request and response parameters MUST NOT be included more
  than once" -- a repeated parameter is ``invalid_request``, never "first wins"
  (a parser disagreement between proxy and client is a classic smuggling bug).
* RFC 6749 Appendix B: the form is UTF-8; another charset, or bytes that do not
  decode, are ``invalid_request`` (never a 500).
* RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
  omitted from the request" -- empty values are dropped here, once, for everyone.
"""

from __future__ import annotations

from aiohttp import web

from .oauth_errors import InvalidRequest

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

Form = dict[str, str]


async def read_form(request: web.Request) -> Form:
    """The body's parameters, each present once with a non-empty string value."""
    if request.content_type != FORM_CONTENT_TYPE:
        raise InvalidRequest(f"The request body must be {FORM_CONTENT_TYPE}.")
    if (request.charset or "utf-8").lower() != "utf-8":
        raise InvalidRequest("The request body must be UTF-8 (RFC 6749 Appendix B).")
    try:
        data = await request.post()
    except (UnicodeDecodeError, LookupError, ValueError):
        raise InvalidRequest("The request body is not valid UTF-8 form data.") from None
    form: Form = {}
    for name in set(data.keys()):
        values = data.getall(name)
        if len(values) > 1:
            raise InvalidRequest(f"The parameter {_shown(name)} is repeated.")
        value = values[0]
        if not isinstance(value, str):
            raise InvalidRequest("File uploads are not accepted here.")
        if value:
            form[name] = value
    return form


def _shown(name: str) -> str:
    """A parameter name safe to echo: short, and only the characters names use."""
    cleaned = "".join(c for c in name[:40] if c.isascii() and (c.isalnum() or c in "_-."))
    return cleaned or "(unnamed)"
