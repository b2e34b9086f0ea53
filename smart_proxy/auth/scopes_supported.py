"""``scopes_supported`` for discovery: every US Core resource and granular scope we honour.

US Core 7 (scopes.html) lists the resource-level scopes and the granular
``category`` scopes a server SHALL support; they are derived here from the
``scopes`` package's tables so discovery, consent wording and enforcement share
one source.
"""

from __future__ import annotations

from scopes import SPECIAL_SCOPES
from scopes.plain_language import (
    CONDITION_CATEGORIES,
    DOCUMENT_REFERENCE_CATEGORIES,
    OBSERVATION_CATEGORIES,
    US_CORE_RESOURCE_TYPES,
)


def _granular() -> list[str]:
    out = []
    for resource_type, categories in (
        ("Condition", CONDITION_CATEGORIES),
        ("Observation", OBSERVATION_CATEGORIES),
        ("DocumentReference", DOCUMENT_REFERENCE_CATEGORIES),
    ):
        for category in categories:
            name, value = category.scope_filter
            out.append(f"patient/{resource_type}.rs?{name}={value}")
    return out


SCOPES_SUPPORTED: tuple[str, ...] = (
    *sorted(SPECIAL_SCOPES),
    "patient/*.rs",
    "user/*.rs",
    "system/*.rs",
    *(f"patient/{t}.rs" for t in US_CORE_RESOURCE_TYPES),
    *(f"user/{t}.rs" for t in US_CORE_RESOURCE_TYPES),
    *_granular(),
)
