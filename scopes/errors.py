"""The one error the scope grammar raises."""

from __future__ import annotations


class ScopeSyntaxError(ValueError):
    """A scope string does not follow the SMART App Launch 2.2 scope grammar.

    SMART App Launch 2.2, scopes-and-launch-context.html, "FHIR Resource Scope Syntax": servers
    MAY ignore, replace or reject malformed scopes.  The parser rejects; callers that must not
    fail (the authorization endpoint) report the message and drop the scope.
    """
