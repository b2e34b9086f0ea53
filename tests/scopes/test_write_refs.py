"""Logical references and attachment Binaries in write bodies (``scopes.write_refs``)."""

from __future__ import annotations

from typing import Any

import pytest

from scopes.write_refs import BinaryTargets, binary_targets, logical_references

BASES = ("https://proxy.example.org/fhir", "http://127.0.0.1:8080/fhir")


def document(url: object) -> dict[str, Any]:
    return {"resourceType": "DocumentReference", "status": "current",
            "content": [{"attachment": {"contentType": "text/plain", "url": url}}]}


# attachment URL, Binary ids on this server, unclear URLs, ids of Binary URLs elsewhere
URLS = [
    ("Binary/bin-p2-1", ("bin-p2-1",), (), ()),
    ("Binary/bin-p2-1/_history/3", ("bin-p2-1",), (), ()),
    ("https://proxy.example.org/fhir/Binary/x", ("x",), (), ()),
    ("HTTPS://PROXY.EXAMPLE.ORG/fhir/Binary/x", ("x",), (), ()),
    ("http://127.0.0.1:9999/fhir/Binary/x", ("x",), (), ()),  # same host: fail closed
    ("https://proxy.example.org/other/Binary/x", ("x",), (), ()),
    ("/fhir/Binary/x", ("x",), (), ()),
    ("Binary/x?_format=json", ("x",), (), ()),
    ("Binary%2Fx", ("x",), (), ()),
    ("https:/proxy.example.org/fhir/Binary/x", ("x",), (), ()),
    ("Binary", (), ("Binary",), ()),
    ("Binary/x/_history", (), ("Binary/x/_history",), ()),
    ("Binary/../Binary/x", (), ("Binary/../Binary/x",), ()),
    ("binary/x", (), ("binary/x",), ()),
    ("Binary/x/$binary-access-read", (), ("Binary/x/$binary-access-read",), ()),
    ("https://proxy.example.org/fhir/Binary%252Fx", (),
     ("https://proxy.example.org/fhir/Binary%252Fx",), ()),
    ("https://other.example/fhir/Binary/z", (), (), ("z",)),
    ("https://other.example/files/report.pdf", (), (), ()),
    ("Observation/obs-p1-1", (), (), ()),
    ("urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", (), (), ()),
    ("data:text/plain;base64,aGk=", (), (), ()),
    ("ftp://proxy.example.org/fhir/Binary/x", (), (), ()),
    ("https://[::1/fhir/Binary/x", (), (), ("x",)),  # unparseable: checked if it exists
    (42, (), (), ()),
]


@pytest.mark.parametrize(("url", "ids", "unclear", "foreign"), URLS)
def test_binary_targets_of_an_attachment_url(
    url: object, ids: tuple[str, ...], unclear: tuple[str, ...], foreign: tuple[str, ...]
) -> None:
    assert binary_targets(document(url), BASES) == BinaryTargets(ids, unclear, foreign)


@pytest.mark.parametrize("resource", [
    {"resourceType": "DiagnosticReport", "presentedForm": [{"url": "Binary/b"}]},
    {"resourceType": "Media", "content": {"url": "Binary/b", "contentType": "image/png"}},
    {"resourceType": "Observation", "valueAttachment": {"url": "Binary/b", "title": "scan"}},
    {"resourceType": "Observation", "contained": [document("Binary/b")]},
    {"resourceType": "DocumentReference", "content": [
        {"attachment": {"url": "Binary/b", "x-unknown": 1}}]},
    {"resourceType": "Bundle", "entry": [{"resource": document("Binary/b")}]},
])
def test_every_attachment_is_found(resource: dict[str, Any]) -> None:
    assert binary_targets(resource, BASES).ids == ("b",)


def test_repeated_targets_are_reported_once() -> None:
    resource = {"resourceType": "DocumentReference", "content": [
        {"attachment": {"url": "Binary/b"}}, {"attachment": {"url": "Binary/b/_history/1"}},
        {"attachment": {"url": "https://other.example/Binary/b"}},
        {"attachment": {"url": "Binary"}}, {"attachment": {"url": "Binary"}}]}
    assert binary_targets(resource, BASES) == BinaryTargets(("b",), ("Binary",), ())


@pytest.mark.parametrize("resource", [
    document("https://other.example/report.pdf"),
    {"resourceType": "DocumentReference", "content": [{"attachment": {"data": "aGk="}}]},
    {"resourceType": "Observation", "extension": [{"url": "http://example.org/Binary"}]},
    {"resourceType": "Observation", "link": [{"relation": "x", "url": "Binary/b"}]},
])
def test_no_binary_of_this_server(resource: dict[str, Any]) -> None:
    targets = binary_targets(resource, BASES)
    assert not targets.ids and not targets.foreign


# resource, paths of logical references whose type is absent or Patient
LOGICAL = [
    ({"resourceType": "Observation", "subject": {"identifier": {"value": "MRN-OF-P2"}}},
     ("subject",)),
    ({"resourceType": "Observation", "performer": [{"reference": "Patient/p1"},
                                                   {"display": "Theo"}]}, ("performer[1]",)),
    ({"resourceType": "Observation", "subject": {"type": "Patient", "display": "Theo"}},
     ("subject",)),
    ({"resourceType": "Observation", "subject": {"type": 7, "identifier": {"value": "x"}}},
     ("subject",)),
    ({"resourceType": "Observation", "performer": [{"type": "Organization",
                                                    "identifier": {"value": "o"}}]}, ()),
    ({"resourceType": "Observation", "subject": {"reference": "Patient/p1", "display": "Amy"}},
     ()),
    ({"resourceType": "Observation", "code": {"coding": [
        {"system": "http://loinc.org", "code": "1", "display": "x"}], "text": "x"}}, ()),
    ({"resourceType": "Specimen", "container": [
        {"identifier": [{"value": "tube"}], "type": {"text": "tube"}}]}, ()),
    ({"resourceType": "Observation", "identifier": [{"value": "1", "type": {"text": "MR"}}]},
     ()),
]


@pytest.mark.parametrize(("resource", "paths"), LOGICAL)
def test_logical_references(resource: dict[str, Any], paths: tuple[str, ...]) -> None:
    assert logical_references(resource) == paths
