"""Mapping an OIDC fhirUser claim to a relative FHIR reference (SMART App Launch "fhirUser")."""

from __future__ import annotations

import pytest

from smart_proxy.identity import fhir_user_reference


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("Patient/p1", "Patient/p1"),
        ("Practitioner/prac-1", "Practitioner/prac-1"),
        ("RelatedPerson/rp-p2-1", "RelatedPerson/rp-p2-1"),
        ("Patient/a.b-C9", "Patient/a.b-C9"),
        ("Patient/" + "x" * 64, "Patient/" + "x" * 64),
        ("https://ehr.example/fhir/Patient/p1", "Patient/p1"),
        ("http://ehr.example/Practitioner/x", "Practitioner/x"),
        ("https://ehr.example:8443/r4/tenant/RelatedPerson/y", "RelatedPerson/y"),
        ("Patient/" + "x" * 65, None),
        ("Patient/", None),
        ("Patient", None),
        ("/Patient/p1", None),
        ("fhir/Patient/p1", None),
        ("patient/p1", None),
        ("Person/p1", None),
        ("PractitionerRole/r1", None),
        ("Organization/o1", None),
        ("Patient/p1/_history/2", None),
        ("Patient/p 1", None),
        ("Patient/..", None),
        ("Patient/.", None),
        ("Patient/p1\n", None),
        ("Patient/pé", None),
        ("https://ehr.example/fhir/Patient/p1/_history/1", None),
        ("https://ehr.example/fhir/Patient/_history/p1", None),
        ("https://ehr.example/fhir/Patient/p1?x=1", None),
        ("https://ehr.example/fhir/Patient/p1#frag", None),
        ("https://ehr.example/fhir/Patient/p1/", None),
        ("https:///Patient/p1", None),
        ("ftp://ehr.example/Patient/p1", None),
        ("urn:uuid:Patient/p1", None),
        ("", None),
        (None, None),
        (42, None),
        (["Patient/p1"], None),
        ({"reference": "Patient/p1"}, None),
    ],
)
def test_fhir_user_claims(claim: object, expected: str | None) -> None:
    assert fhir_user_reference(claim) == expected
