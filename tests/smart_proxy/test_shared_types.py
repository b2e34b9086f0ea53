"""Reference types outside the compartment: readable with a patient scope only when the
deployment shares them (``policy.shared_types``; peer-gateways (c) 23)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smart_proxy.app import create_app
from smart_proxy.config.model import PolicyConfig
from smart_proxy.state import MemoryStore
from tests.support import make_config


async def client_for(aiohttp_client: Any, sandbox: TestServer, store: MemoryStore,
                     shared: frozenset[str] | None) -> TestClient:
    policy = PolicyConfig() if shared is None else PolicyConfig(shared)
    config = make_config(str(sandbox.make_url("/fhir")), policy=policy)
    return await aiohttp_client(create_app(config, store=store))


@pytest.mark.parametrize(
    ("shared", "path", "status"),
    [
        (None, "/fhir/Practitioner/prac-1", 200),
        (None, "/fhir/Organization?_count=5", 200),
        (frozenset({"Organization"}), "/fhir/Practitioner/prac-1", 403),
        (frozenset({"Organization"}), "/fhir/Practitioner?_count=5", 403),
        (frozenset({"Organization"}), "/fhir/Organization?_count=5", 200),
        (frozenset(), "/fhir/Organization?_count=5", 403),
        (frozenset(), "/fhir/Observation?_count=5", 200),  # the compartment is not affected
    ],
)
async def test_shared_types_follow_the_configuration(
    aiohttp_client: Any, sandbox: TestServer, store: MemoryStore, issue_token: Any,
    shared: frozenset[str] | None, path: str, status: int,
) -> None:
    proxy = await client_for(aiohttp_client, sandbox, store, shared)
    token = await issue_token(patient="p1", scopes=("patient/*.rs",))
    response = await proxy.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status == status


async def test_an_included_practitioner_is_dropped_when_not_shared(
    aiohttp_client: Any, sandbox: TestServer, store: MemoryStore, issue_token: Any,
) -> None:
    token = await issue_token(patient="p1", scopes=("patient/*.rs",))
    headers = {"Authorization": f"Bearer {token}"}
    path = "/fhir/Encounter?_include=Encounter:participant&_count=50"
    types = {}
    for shared in (None, frozenset({"Organization"})):
        proxy = await client_for(aiohttp_client, sandbox, store, shared)
        bundle = await (await proxy.get(path, headers=headers)).json(content_type=None)
        types[shared] = {e["resource"]["resourceType"] for e in bundle.get("entry", [])}
    assert "Practitioner" in types[None]
    assert types[frozenset({"Organization"})] == {"Encounter"}
