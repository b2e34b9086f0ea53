"""Registry: an immutable client_id -> RegisteredApp mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from app_registry import AppStatus, LifecycleEvent, RegisteredApp, Registry

MakeApp = Callable[..., RegisteredApp]


@pytest.fixture
def registry(make_app: MakeApp) -> Registry:
    suspended = (
        LifecycleEvent(AppStatus.APPROVED, datetime(2026, 1, 1, tzinfo=UTC), "admin"),
        LifecycleEvent(AppStatus.SUSPENDED, datetime(2026, 2, 1, tzinfo=UTC), "sec", "finding"),
    )
    return Registry(
        [
            make_app(client_id="zeta"),
            make_app(client_id="alpha", lifecycle=()),
            make_app(client_id="mid", lifecycle=suspended),
        ],
        source=["a.yaml", "b.yaml"],
    )


def test_lookup(registry: Registry) -> None:
    assert registry["zeta"].client_id == "zeta"
    assert registry.get("alpha") is registry["alpha"]
    assert registry.get("nobody") is None
    with pytest.raises(KeyError):
        registry["nobody"]


@pytest.mark.parametrize("key", ["ZETA", "zeta ", "zet", "", None, 1, ("zeta",)])
def test_unknown_or_wrong_type_keys_are_absent(registry: Registry, key: object) -> None:
    assert key not in registry
    assert registry.get(key) is None


def test_len_iter_and_order(registry: Registry) -> None:
    assert len(registry) == 3
    assert list(registry) == ["zeta", "alpha", "mid"]
    assert [app.client_id for app in registry.values()] == ["zeta", "alpha", "mid"]
    assert "mid" in registry


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 12, 31, tzinfo=UTC), []),
        (datetime(2026, 1, 1, tzinfo=UTC), ["zeta", "mid"]),
        (datetime(2026, 2, 1, tzinfo=UTC), ["zeta"]),
    ],
)
def test_approved_at(registry: Registry, now: datetime, expected: list[str]) -> None:
    assert [app.client_id for app in registry.approved(now)] == expected


def test_source_and_repr(registry: Registry) -> None:
    assert registry.source == ("a.yaml", "b.yaml")
    assert repr(registry) == "Registry(3 apps from ['a.yaml', 'b.yaml'])"


def test_registry_is_immutable(registry: Registry) -> None:
    with pytest.raises(TypeError):
        registry["new"] = registry["zeta"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        registry._apps = {}  # type: ignore[misc]
    with pytest.raises(AttributeError):
        registry.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        registry._apps["new"] = registry["zeta"]  # type: ignore[index]


def test_duplicate_client_ids_are_refused(make_app: MakeApp) -> None:
    with pytest.raises(ValueError, match="duplicate client_id 'viewer'"):
        Registry([make_app(), make_app(name="Other")])


def test_an_empty_registry() -> None:
    registry = Registry()
    assert len(registry) == 0
    assert registry.approved(datetime(2026, 1, 1, tzinfo=UTC)) == ()
    assert registry.source == ()


def test_registries_compare_as_mappings(make_app: MakeApp) -> None:
    assert Registry([make_app()]) == Registry([make_app()], source=["x.yaml"])
    assert Registry([make_app()]) != Registry([make_app(name="Other")])
