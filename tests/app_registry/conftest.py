"""Shared fixtures for the app_registry tests: a factory for RegisteredApp values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from app_registry import (
    AppStatus,
    Audience,
    ClientType,
    LaunchType,
    LifecycleEvent,
    RegisteredApp,
)

APPROVED_2026 = LifecycleEvent(AppStatus.APPROVED, datetime(2026, 1, 1, tzinfo=UTC), "admin")


@pytest.fixture
def make_app() -> Callable[..., RegisteredApp]:
    """Build a valid public patient app; keyword arguments override fields."""

    def build(**overrides: Any) -> RegisteredApp:
        fields: dict[str, Any] = {
            "client_id": "viewer",
            "name": "Viewer",
            "client_type": ClientType.PUBLIC,
            "audience": Audience.PATIENT,
            "launch_types": frozenset({LaunchType.STANDALONE}),
            "scopes": ("launch/patient", "openid", "patient/Observation.rs"),
            "redirect_uris": ("https://viewer.example/cb",),
            "privacy_policy_uri": "https://viewer.example/privacy",
            "contacts": ("dev@viewer.example",),
            "lifecycle": (APPROVED_2026,),
        }
        fields.update(overrides)
        return RegisteredApp(**fields)

    return build
