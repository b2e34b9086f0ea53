"""``parse_request``/``parse_url`` extras (media type, If-None-Exist, form body) and query keys."""

from __future__ import annotations

import pytest

from scopes.interaction import Interaction
from scopes.query import (
    QueryError,
    format_query_string,
    parse_key,
    parse_query_string,
    split_values,
)
from scopes.request import RequestError, parse_request, parse_url


@pytest.mark.parametrize(("raw", "name", "modifier", "chained"), [
    ("code", "code", None, False),
    ("code:text", "code", "text", False),
    ("subject:Patient", "subject", "Patient", False),
    ("_include:iterate", "_include", "iterate", False),
    ("clinical-status", "clinical-status", None, False),
    ("_lastUpdated", "_lastUpdated", None, False),
    ("subject.name", "subject", None, True),
    ("patient:Patient.name", "patient", "Patient", True),
    ("subject:Patient.organization.name", "subject", "Patient", True),
    ("_has:Observation:patient:code", "_has", "Observation:patient:code", True),
    ("_has", "_has", None, True),
])
def test_parse_key(raw: str, name: str, modifier: str | None, chained: bool) -> None:
    key = parse_key(raw)
    assert (key.name, key.modifier, key.chained) == (name, modifier, chained)


@pytest.mark.parametrize("raw", ["", ":x", "code:", "co de", "9code", "code:te xt", "a" * 70])
def test_parse_key_refuses_garbage(raw: str) -> None:
    with pytest.raises(QueryError):
        parse_key(raw)


@pytest.mark.parametrize(("value", "parts"), [
    ("a", ("a",)), ("a,b", ("a", "b")), ("a\\,b,c", ("a\\,b", "c")), ("", ("",)), ("a,", ("a", "")),
])
def test_split_values_keeps_escaped_commas(value: str, parts: tuple[str, ...]) -> None:
    assert split_values(value) == parts


def test_query_strings_round_trip() -> None:
    params = parse_query_string("identifier=http://x%7C1&patient=Patient%2Fp1&a=")
    assert params == (("identifier", "http://x|1"), ("patient", "Patient/p1"), ("a", ""))
    assert format_query_string(params) == "identifier=http://x|1&patient=Patient/p1&a="
    assert parse_query_string("") == ()
    with pytest.raises(QueryError):
        parse_query_string("a&&b")


def test_media_type_and_headers() -> None:
    request = parse_request("PATCH", ["Observation", "o1"],
                            headers={"Content-Type": "application/json-patch+json; charset=utf-8"})
    assert request.content_type == "application/json-patch+json"
    explicit = parse_request("PATCH", ["Observation", "o1"], content_type="APPLICATION/FHIR+JSON",
                             headers={"Content-Type": "application/json-patch+json"})
    assert explicit.content_type == "application/fhir+json"
    create = parse_request("POST", ["Observation"], headers={"if-none-exist": "identifier=a"})
    assert create.if_none_exist == "identifier=a" and create.interaction is Interaction.CREATE
    assert parse_request("GET", ["Observation"]).content_type is None


def test_form_body_counts_as_search_parameters() -> None:
    request = parse_request("POST", ["Observation", "_search"], [("_count", "5")],
                            form=[("patient", "p1")])
    assert request.params == (("_count", "5"), ("patient", "p1"))
    with pytest.raises(RequestError):
        parse_request("POST", ["Observation"], form=[("patient", "p1")])
    with pytest.raises(RequestError):
        parse_request("GET", ["Observation"], form=[("patient", "p1")])


@pytest.mark.parametrize(("url", "segments", "params"), [
    ("Observation", ("Observation",), ()),
    ("Observation?code=a%2Cb&subject=https://x/Patient/p1", ("Observation",),
     (("code", "a,b"), ("subject", "https://x/Patient/p1"))),
    ("Patient/p1/Observation", ("Patient", "p1", "Observation"), ()),
])
def test_parse_url(url: str, segments: tuple[str, ...], params: tuple) -> None:
    request = parse_url("GET", url)
    assert request.params == params
    direct = parse_request("GET", list(segments), params)
    assert request == direct


@pytest.mark.parametrize("url", [
    "https://ehr.example/fhir/Observation", "/Observation", "Observation#x", "urn:uuid:x",
    "Observation/o%2F1", "Observation?a&&b",
])
def test_parse_url_refuses(url: str) -> None:
    with pytest.raises(RequestError):
        parse_url("GET", url)
