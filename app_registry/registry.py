"""The loaded registry: an immutable mapping from ``client_id`` to :class:`RegisteredApp`.

The authorization server looks clients up here for every authorize and token
request (RFC 6749 §2.2: the client identifier is unique to the server), so the
mapping is built once and never changes; reloading means building a new Registry
and swapping the reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import MappingProxyType

from app_registry.models import RegisteredApp


class Registry(Mapping[str, RegisteredApp]):
    """Read-only ``client_id -> RegisteredApp``, in the order the apps were loaded."""

    __slots__ = ("_apps", "_source")
    _apps: Mapping[str, RegisteredApp]
    _source: tuple[str, ...]

    def __init__(self, apps: Iterable[RegisteredApp] = (), source: Iterable[str] = ()) -> None:
        by_id: dict[str, RegisteredApp] = {}
        for app in apps:
            if app.client_id in by_id:
                raise ValueError(f"duplicate client_id {app.client_id!r}")
            by_id[app.client_id] = app
        object.__setattr__(self, "_apps", MappingProxyType(by_id))
        object.__setattr__(self, "_source", tuple(source))

    @property
    def source(self) -> tuple[str, ...]:
        """The files the registry was loaded from, for display (``apps list``)."""
        return self._source

    def __getitem__(self, client_id: str) -> RegisteredApp:
        return self._apps[client_id]

    def get(self, client_id: object, default: RegisteredApp | None = None) -> RegisteredApp | None:  # type: ignore[override]
        """The app registered as ``client_id``, or ``default``; non-strings are never found."""
        if not isinstance(client_id, str):
            return default
        return self._apps.get(client_id, default)

    def __contains__(self, client_id: object) -> bool:
        return isinstance(client_id, str) and client_id in self._apps

    def __iter__(self) -> Iterator[str]:
        return iter(self._apps)

    def __len__(self) -> int:
        return len(self._apps)

    def approved(self, now: datetime) -> tuple[RegisteredApp, ...]:
        """Apps whose lifecycle says *approved* at ``now``, in load order."""
        return tuple(app for app in self._apps.values() if app.is_approved(now))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Registry is immutable")

    def __repr__(self) -> str:
        return f"Registry({len(self)} apps from {list(self._source)!r})"
