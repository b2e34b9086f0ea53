"""Fixtures for the sandbox FHIR server: a client on a fresh, seeded server per test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from smart_proxy.sandbox import SANDBOX_STORE, SandboxStore, create_sandbox_app


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]]) -> TestClient:
    return await aiohttp_client(create_sandbox_app())


@pytest.fixture
def sandbox_store(client: TestClient) -> SandboxStore:
    return client.app[SANDBOX_STORE]
