"""Shared fixtures: a memory store and grants placed straight in it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from smart_proxy.grants import Grant, issue_access_token
from smart_proxy.state import MemoryStore, StateStore


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def issue_token(store: StateStore) -> Callable[..., object]:
    """``await issue_token(patient="p1", scopes=(...))`` → a live bearer token."""

    async def issue(**fields: object) -> str:
        now = time.time()
        grant = Grant(
            grant_id=str(fields.pop("grant_id", uuid.uuid4())),
            client_id=str(fields.pop("client_id", "demo-patient-app")),
            scopes=tuple(fields.pop("scopes", ("patient/*.cruds",))),  # type: ignore[arg-type]
            patient=fields.pop("patient", "p1"),  # type: ignore[arg-type]
            issued_at=now - 1,
            expires_at=now + float(fields.pop("ttl", 3600)),  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )
        return await issue_access_token(store, grant, now)

    return issue
