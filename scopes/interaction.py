"""FHIR RESTful interactions and the SMART 2 permission letter each one needs.

Source: SMART App Launch 2.2.0, scopes-and-launch-context.html, "Scopes for requesting FHIR
Resources" (the ``cruds`` table): ``c`` = type-level create; ``r`` = read, vread and
instance-level history; ``u`` = update (including update-as-create) and patch; ``d`` = delete;
``s`` = type-level search (GET and ``POST _search``), type-level history, and the system-level
search and history.  Operations (``$everything``, ``$export``, ...) have no letter of their own:
the policy decides which letters each operation needs.
"""

from __future__ import annotations

from enum import Enum


class Interaction(Enum):
    """A FHIR RESTful interaction (http://hl7.org/fhir/R4/http.html) as the policy sees it."""

    READ = "read"
    VREAD = "vread"
    SEARCH = "search"
    HISTORY_INSTANCE = "history_instance"
    HISTORY_TYPE = "history_type"
    CREATE = "create"
    UPDATE = "update"
    PATCH = "patch"
    DELETE = "delete"
    OPERATION = "operation"

    @property
    def letter(self) -> str | None:
        """The SMART 2 permission letter, or ``None`` for operations (no fixed letter)."""
        return _LETTERS.get(self)

    @property
    def is_write(self) -> bool:
        return self.letter in ("c", "u", "d")


_LETTERS: dict[Interaction, str] = {
    Interaction.READ: "r",
    Interaction.VREAD: "r",
    Interaction.HISTORY_INSTANCE: "r",
    Interaction.SEARCH: "s",
    Interaction.HISTORY_TYPE: "s",
    Interaction.CREATE: "c",
    Interaction.UPDATE: "u",
    Interaction.PATCH: "u",
    Interaction.DELETE: "d",
}
