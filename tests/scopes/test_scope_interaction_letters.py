"""Interaction → SMART 2 permission letter (scopes-and-launch-context.html, cruds table)."""

from __future__ import annotations

import pytest

from scopes.interaction import Interaction


@pytest.mark.parametrize(
    ("interaction", "letter", "is_write"),
    [
        (Interaction.READ, "r", False),
        (Interaction.VREAD, "r", False),
        (Interaction.HISTORY_INSTANCE, "r", False),
        (Interaction.SEARCH, "s", False),
        (Interaction.HISTORY_TYPE, "s", False),
        (Interaction.CREATE, "c", True),
        (Interaction.UPDATE, "u", True),
        (Interaction.PATCH, "u", True),
        (Interaction.DELETE, "d", True),
        (Interaction.OPERATION, None, False),
    ],
)
def test_each_interaction_maps_to_its_letter(
    interaction: Interaction, letter: str | None, is_write: bool,
) -> None:
    assert interaction.letter == letter
    assert interaction.is_write is is_write


def test_the_table_covers_every_interaction() -> None:
    assert {i.value for i in Interaction} == {
        "read", "vread", "search", "history_instance", "history_type", "create", "update",
        "patch", "delete", "operation",
    }
