"""Shared fixtures: a config builder, grants placed straight in the store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from yarl import URL

from smart_proxy.config import Config, Limits, UpstreamConfig
from smart_proxy.config.model import Secret, UpstreamAuth
from smart_proxy.grants import Grant, issue_access_token
from smart_proxy.state import MemoryStore, StateStore

UPSTREAM_SECRET = "proxy-own-upstream-credential"


def make_config(upstream_url: str, **overrides: object) -> Config:
    upstream = UpstreamConfig(
        url=URL(upstream_url),
        timeout_s=float(overrides.pop("timeout_s", 10.0)),  # type: ignore[arg-type]
        connect_timeout_s=2.0,
        auth=UpstreamAuth("bearer", Secret(UPSTREAM_SECRET)),
    )
    values: dict[str, object] = {
        "public_url": URL("https://proxy.example.org"),
        "upstream": upstream,
        "apps": Path("apps.yaml"),
        "state": "memory",
        "limits": Limits(),
    }
    values.update(overrides)
    return Config(**values)  # type: ignore[arg-type]


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


GrantMaker = Callable[..., "object"]


@pytest.fixture
def issue_token(store: StateStore) -> Callable[..., object]:
    """``await issue_token(patient="p1", scopes=(...))`` → a live bearer token."""

    async def issue(**fields: object) -> str:
        now = time.time()
        grant = Grant(
            grant_id=str(uuid.uuid4()),
            client_id=str(fields.pop("client_id", "demo-app")),
            scopes=tuple(fields.pop("scopes", ("patient/*.rs",))),  # type: ignore[arg-type]
            issued_at=now - 1,
            expires_at=now + float(fields.pop("ttl", 3600)),  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )
        return await issue_access_token(store, grant, now)

    return issue
