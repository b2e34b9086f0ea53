"""What speaks for a Binary: attachment pointers and securityContext (peer-gateways (c) 22)."""

from __future__ import annotations

from typing import Any

import pytest

from scopes.binary_context import (
    attachment_urls,
    binary_readable,
    context_key,
    has_context,
    points_to,
)


def doc(*urls: object) -> dict[str, Any]:
    return {"resourceType": "DocumentReference",
            "content": [{"attachment": {"url": url}} for url in urls]}


@pytest.mark.parametrize(
    ("resource", "binary_id", "expected"),
    [
        (doc("Binary/b1"), "b1", True),
        (doc("Binary/b1/_history/3"), "b1", True),
        (doc("https://ehr.example/fhir/Binary/b1"), "b1", True),
        (doc("https://ehr.example/fhir/Binary/b1/_history/1"), "b1", True),
        (doc("Binary/b10"), "b1", False),
        (doc("Binary/b1x"), "b1", False),
        (doc("Binary/%62%31"), "b1", True),  # URL-encoded forms are the same reference
        (doc("DocumentReference/b1"), "b1", False),
        (doc("#b1"), "b1", False),
        (doc(None), "b1", False),
        (doc(42), "b1", False),
        (doc("Binary/other", "Binary/b1"), "b1", True),
        ({"resourceType": "DocumentReference", "content": "Binary/b1"}, "b1", False),
        ({"resourceType": "DocumentReference", "content": [{"attachment": "Binary/b1"}]}, "b1",
         False),
        ({"resourceType": "DiagnosticReport", "presentedForm": [{"url": "Binary/b1"}]}, "b1",
         True),
        ({"resourceType": "DiagnosticReport", "presentedForm": {"url": "Binary/b1"}}, "b1", False),
        ({"resourceType": "Media", "content": {"url": "Binary/b1"}}, "b1", True),
        ({"resourceType": "Observation", "valueAttachment": {"url": "Binary/b1"}}, "b1", False),
        ({"resourceType": "DocumentReference"}, "b1", False),
    ],
)
def test_points_to(resource: dict[str, Any], binary_id: str, expected: bool) -> None:
    assert points_to(resource, binary_id) is expected


def test_attachment_urls_of_a_note_with_two_contents() -> None:
    assert attachment_urls(doc("Binary/a", "https://x.example/Binary/b")) == [
        "Binary/a", "https://x.example/Binary/b"]


@pytest.mark.parametrize(
    ("binary", "header", "expected"),
    [
        ({"securityContext": {"reference": "Patient/p1"}}, None, ("Patient", "p1")),
        ({"securityContext": {"reference": "https://e.example/fhir/DocumentReference/d1"}},
         "Patient/p9", ("DocumentReference", "d1")),
        ({"securityContext": {"identifier": {"value": "x"}}}, None, None),
        ({"securityContext": "Patient/p1"}, None, None),
        ({}, "Patient/p1", None),
        (None, "Patient/p1", ("Patient", "p1")),
        (None, " https://e.example/fhir/Patient/p1 ", ("Patient", "p1")),
        (None, "Patient/p1, Patient/p2", None),
        (None, "", None),
        (None, None, None),
    ],
)
def test_context_key(binary: dict[str, Any] | None, header: str | None,
                     expected: tuple[str, str] | None) -> None:
    assert context_key(binary, header) == expected


MINE = {"resourceType": "DocumentReference", "id": "mine"}
WITHHELD = {"resourceType": "DocumentReference", "id": "withheld"}
PATIENT = {"resourceType": "Patient", "id": "p1"}


def passes(resource: Any) -> bool:
    return resource["id"] in ("mine", "p1")


@pytest.mark.parametrize(
    ("pointing", "declared", "context", "readable"),
    [
        ([MINE], False, None, True),
        ([MINE], True, PATIENT, True),
        ([WITHHELD], True, PATIENT, False),
        ([MINE, WITHHELD], True, PATIENT, False),
        ([], True, PATIENT, True),
        ([], True, {"resourceType": "Patient", "id": "p2"}, False),
        # the Binary's own context is never overridden by a (possibly app-written) pointer
        ([MINE], True, {"resourceType": "Patient", "id": "p2"}, False),
        ([MINE], True, None, False),
        ([], True, None, False),
        ([], False, None, False),
    ],
)
def test_binary_readable(pointing: list[dict[str, Any]], declared: bool,
                         context: dict[str, Any] | None, readable: bool) -> None:
    assert binary_readable(pointing, declared, context, passes) is readable


@pytest.mark.parametrize(
    ("binary", "header", "declared"),
    [
        ({"securityContext": {"reference": "Patient/p1"}}, None, True),
        ({"securityContext": {"identifier": {"value": "x"}}}, None, True),
        ({}, "Patient/p1", False),
        (None, "Patient/p1", True),
        (None, "  ", False),
        (None, None, False),
    ],
)
def test_has_context(binary: dict[str, Any] | None, header: str | None, declared: bool) -> None:
    assert has_context(binary, header) is declared
