"""RegisteredApp behaviour: lifecycle status at a given time, redirect matching, reprs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app_registry import AppStatus, ClientType, LaunchType, LifecycleEvent, RegisteredApp
from app_registry.lifecycle import parse_instant

HASH = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"
MakeApp = Callable[..., RegisteredApp]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(status: str, when: str, reason: str | None = None) -> LifecycleEvent:
    return LifecycleEvent(AppStatus(status), at(when), "admin", reason)


HISTORY = (
    event("pending", "2025-12-01T00:00:00"),
    event("approved", "2026-01-01T00:00:00"),
    event("suspended", "2026-02-01T08:00:00", "leaked secret"),
    event("approved", "2026-02-15T00:00:00"),
    event("revoked", "2026-06-01T00:00:00", "breach"),
)


@pytest.mark.parametrize(
    ("lifecycle", "now", "expected"),
    [
        ((), "2026-01-01T00:00:00", AppStatus.PENDING),
        (HISTORY, "2025-11-30T23:59:59", AppStatus.PENDING),
        (HISTORY, "2025-12-01T00:00:00", AppStatus.PENDING),
        (HISTORY, "2025-12-31T23:59:59", AppStatus.PENDING),
        (HISTORY, "2026-01-01T00:00:00", AppStatus.APPROVED),
        (HISTORY, "2026-02-01T07:59:59", AppStatus.APPROVED),
        (HISTORY, "2026-02-01T08:00:00", AppStatus.SUSPENDED),
        (HISTORY, "2026-02-14T23:59:59", AppStatus.SUSPENDED),
        (HISTORY, "2026-02-15T00:00:00", AppStatus.APPROVED),
        (HISTORY, "2026-05-31T23:59:59", AppStatus.APPROVED),
        (HISTORY, "2026-06-01T00:00:00", AppStatus.REVOKED),
        (HISTORY, "2099-01-01T00:00:00", AppStatus.REVOKED),
        ((event("approved", "2030-01-01T00:00:00"),), "2026-01-01T00:00:00", AppStatus.PENDING),
        # listed out of order (built directly, not via the loader): date decides
        ((HISTORY[2], HISTORY[1]), "2026-03-01T00:00:00", AppStatus.SUSPENDED),
        # same instant: the later-listed event wins
        (
            (HISTORY[1], event("suspended", "2026-01-01T00:00:00", "x")),
            "2026-01-01T00:00:00",
            AppStatus.SUSPENDED,
        ),
    ],
)
def test_status_at(
    make_app: MakeApp, lifecycle: tuple[LifecycleEvent, ...], now: str, expected: AppStatus
) -> None:
    app = make_app(lifecycle=lifecycle)
    assert app.status_at(at(now)) is expected
    assert app.is_approved(at(now)) is (expected is AppStatus.APPROVED)


def test_status_uses_instants_across_offsets(make_app: MakeApp) -> None:
    app = make_app(
        lifecycle=(
            LifecycleEvent(AppStatus.APPROVED, parse_instant("2026-01-01T09:00:00+09:00"), "a"),
        )
    )
    assert app.status_at(datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)) is AppStatus.PENDING
    assert app.status_at(datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)) is AppStatus.APPROVED
    tokyo = timezone(timedelta(hours=9))
    assert app.status_at(datetime(2026, 1, 1, 8, 59, 59, tzinfo=tokyo)) is AppStatus.PENDING


def test_current_event_names_who_and_why(make_app: MakeApp) -> None:
    app = make_app(lifecycle=HISTORY)
    assert app.current_event(at("2026-02-02T00:00:00")) == HISTORY[2]
    assert app.current_event(at("2025-01-01T00:00:00")) is None


def test_naive_times_are_refused(make_app: MakeApp) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_app().status_at(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        LifecycleEvent(AppStatus.APPROVED, datetime(2026, 1, 1), "admin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T10:30:00Z", datetime(2026, 1, 1, 10, 30, tzinfo=UTC)),
        ("2026-01-01t10:30:00z", datetime(2026, 1, 1, 10, 30, tzinfo=UTC)),
        ("2026-01-01T10:30:00.250+01:00", datetime(2026, 1, 1, 9, 30, 0, 250000, tzinfo=UTC)),
        ("2026-01-01T00:00:00-05:00", datetime(2026, 1, 1, 5, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["2026-02-30", "2026-01-01T10:30:00", "yesterday"])
def test_parse_instant_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


REGISTERED = ("https://app.example/cb", "http://127.0.0.1:9999/callback", "com.example.app:/cb")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://app.example/cb", True),
        ("http://127.0.0.1:9999/callback", True),
        ("com.example.app:/cb", True),
        ("https://app.example/cb/", False),  # trailing slash
        ("https://app.example/c", False),  # prefix
        ("https://app.example/cb/evil", False),  # extension
        ("https://app.example/cb?x=1", False),  # extra query
        ("https://app.example/cb#x", False),  # fragment
        ("HTTPS://APP.EXAMPLE/cb", False),  # case
        ("https://app.example/CB", False),
        ("https://app.example:443/cb", False),  # default port spelled out
        ("https://app.example/%63b", False),  # percent-encoding
        ("https://app.example.evil.example/cb", False),
        ("http://127.0.0.1:8888/callback", False),  # other loopback port (registered per port)
        ("http://localhost:9999/callback", False),  # other loopback spelling
        (" https://app.example/cb", False),
        ("https://app.example/cb ", False),
        ("", False),
        (None, False),
        (["https://app.example/cb"], False),
        (b"https://app.example/cb", False),
    ],
)
def test_check_redirect_uri_is_exact(make_app: MakeApp, uri: object, expected: bool) -> None:
    assert make_app(redirect_uris=REGISTERED).check_redirect_uri(uri) is expected


@pytest.mark.parametrize(
    ("registered", "kind", "expected"),
    [
        ({LaunchType.STANDALONE}, LaunchType.STANDALONE, True),
        ({LaunchType.STANDALONE}, "standalone", True),
        ({LaunchType.STANDALONE}, LaunchType.EHR, False),
        ({LaunchType.STANDALONE}, "ehr", False),
        ({LaunchType.EHR, LaunchType.STANDALONE}, "ehr", True),
        ({LaunchType.BACKEND}, "backend", True),
        ({LaunchType.BACKEND}, "standalone", False),
    ],
)
def test_allows_launch(
    make_app: MakeApp, registered: set[LaunchType], kind: object, expected: bool
) -> None:
    assert make_app(launch_types=frozenset(registered)).allows_launch(kind) is expected  # type: ignore[arg-type]


def test_allows_launch_rejects_unknown_kinds(make_app: MakeApp) -> None:
    with pytest.raises(ValueError):
        make_app().allows_launch("portal")


def test_repr_never_shows_the_secret_hash(make_app: MakeApp) -> None:
    app = make_app(client_type=ClientType.CONFIDENTIAL_SYMMETRIC, client_secret_hash=HASH)
    for text in (repr(app), str(app), repr([app]), f"{app}"):
        assert HASH not in text
        assert "c2FsdHNhbHRzYWx0" not in text
        assert "scrypt" not in text
    assert repr(app) == (
        "RegisteredApp(client_id='viewer', name='Viewer', client_type='confidential-symmetric', "
        "credential='secret-hash', audience='patient', launch_types='standalone', scopes=3, "
        "lifecycle_events=1)"
    )


@pytest.mark.parametrize(
    ("overrides", "credential"),
    [
        ({}, "none"),
        (
            {
                "client_type": ClientType.CONFIDENTIAL_ASYMMETRIC,
                "jwks_uri": "https://a.example/jwks",
            },
            "jwks_uri",
        ),
        ({"client_type": ClientType.CONFIDENTIAL_ASYMMETRIC, "jwks_json": '{"keys": []}'}, "jwks"),
    ],
)
def test_repr_names_the_kind_of_credential(
    make_app: MakeApp, overrides: dict[str, object], credential: str
) -> None:
    assert f"credential={credential!r}" in repr(make_app(**overrides))


def test_apps_are_frozen(make_app: MakeApp) -> None:
    app = make_app()
    with pytest.raises(dataclasses.FrozenInstanceError):
        app.client_id = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        app.lifecycle[0].status = AppStatus.REVOKED  # type: ignore[misc]


def test_is_confidential(make_app: MakeApp) -> None:
    assert make_app().is_confidential is False
    assert make_app(client_type=ClientType.CONFIDENTIAL_SYMMETRIC).is_confidential is True
    assert make_app(client_type=ClientType.CONFIDENTIAL_ASYMMETRIC).is_confidential is True
