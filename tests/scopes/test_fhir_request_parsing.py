"""Every FHIR REST interaction is recognised from method and path; anything else is refused."""

from __future__ import annotations

import pytest

from scopes.interaction import Interaction as I
from scopes.request import Level, RequestError, Special, parse_request

P = ("Patient", "p1")


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("GET", "", (), dict(level=Level.SYSTEM, special=Special.SYSTEM_SEARCH)),
        ("POST", "", (), dict(level=Level.SYSTEM, special=Special.BUNDLE)),
        ("GET", "metadata", (), dict(special=Special.CAPABILITIES)),
        ("HEAD", "metadata", (), dict(special=Special.CAPABILITIES)),
        ("GET", "_history", (), dict(special=Special.SYSTEM_HISTORY)),
        ("POST", "_search", (), dict(special=Special.SYSTEM_SEARCH)),
        ("GET", "$export", (), dict(level=Level.SYSTEM, interaction=I.OPERATION, operation="$export")),
        ("POST", "$graphql", (), dict(interaction=I.OPERATION, operation="$graphql")),
        ("GET", "Observation", (("code", "x"),), dict(level=Level.TYPE, interaction=I.SEARCH,
                                                     resource_type="Observation", params=(("code", "x"),))),
        ("HEAD", "Observation", (), dict(interaction=I.SEARCH)),
        ("POST", "Observation/_search", (), dict(interaction=I.SEARCH, resource_type="Observation")),
        ("POST", "Observation", (), dict(interaction=I.CREATE, resource_type="Observation")),
        ("PUT", "Observation", (("identifier", "a"),), dict(interaction=I.UPDATE, resource_id=None)),
        ("PATCH", "Observation", (("identifier", "a"),), dict(interaction=I.PATCH)),
        ("DELETE", "Observation", (("identifier", "a"),), dict(interaction=I.DELETE)),
        ("GET", "Observation/_history", (), dict(interaction=I.HISTORY_TYPE)),
        ("GET", "Observation/$lastn", (), dict(level=Level.TYPE, interaction=I.OPERATION, operation="$lastn")),
        ("GET", "Observation/o1", (), dict(level=Level.INSTANCE, interaction=I.READ, resource_id="o1")),
        ("HEAD", "Observation/o1", (), dict(interaction=I.READ)),
        ("PUT", "Observation/o1", (), dict(interaction=I.UPDATE, resource_id="o1")),
        ("PATCH", "Observation/o1", (), dict(interaction=I.PATCH, resource_id="o1")),
        ("DELETE", "Observation/o1", (), dict(interaction=I.DELETE, resource_id="o1")),
        ("GET", "Observation/o1/_history", (), dict(interaction=I.HISTORY_INSTANCE, resource_id="o1")),
        ("GET", "Observation/o1/_history/3", (), dict(interaction=I.VREAD, version_id="3")),
        ("GET", "Patient/p1/$everything", (), dict(level=Level.INSTANCE, interaction=I.OPERATION,
                                                   resource_id="p1", operation="$everything")),
        ("POST", "Patient/p1/$everything", (), dict(operation="$everything")),
        ("GET", "Patient/p1/Observation", (("code", "x"),), dict(
            level=Level.TYPE, interaction=I.SEARCH, resource_type="Observation", resource_id=None,
            compartment=P, params=(("code", "x"),))),
        ("POST", "Patient/p1/Observation/_search", (), dict(resource_type="Observation", compartment=P)),
        ("GET", "Patient/p1/*", (), dict(resource_type="*", compartment=P)),
        ("get", "Patient/p1", (), dict(method="GET", interaction=I.READ)),
    ],
)
def test_interactions(method: str, path: str, query: tuple, expected: dict) -> None:
    request = parse_request(method, path.split("/") if path else [], query)
    for name, value in expected.items():
        assert getattr(request, name) == value, name


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("PUT", "", ()), ("DELETE", "", ()), ("PATCH", "", ()),
        ("DELETE", "Observation", ()), ("PUT", "Observation", ()), ("PATCH", "Observation", ()),
        ("POST", "Observation/o1", ()), ("GET", "observation", ()), ("GET", "Observation/o1/x", ()),
        ("GET", "Observation/a b", ()), ("GET", "Observation/" + "x" * 65, ()),
        ("GET", "Observation/o1/_history/1/2", ()), ("GET", "Observation/o1/_history/a b", ()),
        ("PUT", "Observation/o1/_history", ()), ("DELETE", "Patient/p1/$everything", ()),
        ("GET", "Practitioner/x/Observation", ()), ("GET", "Patient/p1/Observation/o1", ()),
        ("GET", "Patient/../Observation", ()), ("GET", "Patient//p1", ()), ("GET", "Patient/./p1", ()),
        ("GET", "$Everything", ()), ("GET", "$", ()), ("OPTIONS", "Patient", ()),
        ("POST", "metadata", ()), ("GET", "_history/x", ()), ("GET", "Patient/p1/_search", ()),
    ],
)
def test_not_interactions_are_refused(method: str, path: str, query: tuple) -> None:
    with pytest.raises(RequestError):
        parse_request(method, path.split("/") if path else [], query)


def test_conditional_flag() -> None:
    assert parse_request("PUT", ["Observation"], [("identifier", "a")]).is_conditional
    assert not parse_request("PUT", ["Observation", "o1"]).is_conditional
    assert not parse_request("GET", ["Observation"], [("identifier", "a")]).is_conditional
