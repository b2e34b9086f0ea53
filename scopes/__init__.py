"""Pure SMART-on-FHIR scope logic: grammar, scope sets, negotiation, consent wording.

No I/O, no clock (``tests/test_architecture.py``).  Source for the rules throughout:
SMART App Launch 2.2.0, https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html
"""

from scopes.categories import (
    CONDITION_CATEGORIES,
    DOCUMENT_REFERENCE_CATEGORIES,
    OBSERVATION_CATEGORIES,
    Category,
    GranularChoice,
    granular_choices,
)
from scopes.errors import ScopeSyntaxError
from scopes.grammar import (
    CONTEXTS,
    PERMISSION_LETTERS,
    SPECIAL_SCOPES,
    Context,
    ParsedScopes,
    ResourceScope,
    Scope,
    SpecialScope,
    parse_scope,
    parse_scope_string,
)
from scopes.granular import Filter, Filters
from scopes.interaction import Interaction
from scopes.negotiation import Negotiation, covers, narrow, negotiate
from scopes.plain_language import (
    US_CORE_RESOURCE_TYPES,
    ScopeDescription,
    describe,
    special_description,
)
from scopes.scopeset import FilterUnion, ScopeSet

__all__ = [
    "CONDITION_CATEGORIES",
    "CONTEXTS",
    "DOCUMENT_REFERENCE_CATEGORIES",
    "OBSERVATION_CATEGORIES",
    "PERMISSION_LETTERS",
    "SPECIAL_SCOPES",
    "US_CORE_RESOURCE_TYPES",
    "Category",
    "Context",
    "Filter",
    "FilterUnion",
    "Filters",
    "GranularChoice",
    "Interaction",
    "Negotiation",
    "ParsedScopes",
    "ResourceScope",
    "Scope",
    "ScopeDescription",
    "ScopeSet",
    "ScopeSyntaxError",
    "SpecialScope",
    "covers",
    "describe",
    "granular_choices",
    "narrow",
    "negotiate",
    "parse_scope",
    "parse_scope_string",
    "special_description",
]
