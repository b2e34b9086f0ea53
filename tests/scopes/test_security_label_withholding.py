"""scopes.labels: meta.security labels that withhold a resource (system and code compared)."""

from __future__ import annotations

from typing import Any

import pytest

from scopes.labels import (
    DEFAULT_WITHHELD,
    V3_ACT_CODE,
    V3_CONFIDENTIALITY,
    label_key,
    normalise_labels,
    withheld,
)

OLD_ACT = "http://hl7.org/fhir/v3/ActCode"
OLD_CONF = "http://hl7.org/fhir/v3/Confidentiality"
OBS_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"


def labelled(*codings: Any, meta: Any = None) -> dict[str, Any]:
    if meta is None:
        meta = {"security": list(codings)}
    return {"resourceType": "Observation", "id": "o", "meta": meta}


def coding(system: str | None, code: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"code": code}
    if system is not None:
        found["system"] = system
    return found


ROWS: list[tuple[str, dict[str, Any], bool]] = [
    ("no meta", {"resourceType": "Observation"}, False),
    ("meta without security", labelled(meta={"lastUpdated": "2024-01-01"}), False),
    ("empty security", labelled(), False),
    ("PSY", labelled(coding(V3_ACT_CODE, "PSY")), True),
    ("ETH", labelled(coding(V3_ACT_CODE, "ETH")), True),
    ("HIV", labelled(coding(V3_ACT_CODE, "HIV")), True),
    ("SUD", labelled(coding(V3_ACT_CODE, "SUD")), True),
    ("STD", labelled(coding(V3_ACT_CODE, "STD")), True),
    ("SDV", labelled(coding(V3_ACT_CODE, "SDV")), True),
    ("restricted", labelled(coding(V3_CONFIDENTIALITY, "R")), True),
    ("very restricted", labelled(coding(V3_CONFIDENTIALITY, "V")), True),
    ("normal", labelled(coding(V3_CONFIDENTIALITY, "N")), False),
    ("moderate", labelled(coding(V3_CONFIDENTIALITY, "M")), False),
    ("low", labelled(coding(V3_CONFIDENTIALITY, "L")), False),
    ("old ActCode system", labelled(coding(OLD_ACT, "PSY")), True),
    ("old Confidentiality system", labelled(coding(OLD_CONF, "R")), True),
    ("OID ActCode system", labelled(coding("urn:oid:2.16.840.1.113883.5.4", "HIV")), True),
    ("wrong system for R", labelled(coding(OBS_VALUE, "R")), False),
    ("wrong system for PSY", labelled(coding("http://example.org/codes", "PSY")), False),
    ("code case differs", labelled(coding(V3_ACT_CODE, "psy")), False),
    ("R under ActCode", labelled(coding(V3_ACT_CODE, "R")), False),
    ("PSY under Confidentiality", labelled(coding(V3_CONFIDENTIALITY, "PSY")), False),
    ("one of several", labelled(coding(OBS_VALUE, "TEST"), coding(V3_CONFIDENTIALITY, "N"),
                                coding(V3_ACT_CODE, "ETH")), True),
    ("several harmless", labelled(coding(OBS_VALUE, "TEST"), coding(V3_CONFIDENTIALITY, "N")),
     False),
    ("no system, withheld code", labelled(coding(None, "PSY")), True),
    ("no system, harmless code", labelled(coding(None, "N")), False),
    ("no code", labelled({"system": V3_ACT_CODE, "display": "psychiatry"}), True),
    ("code not a string", labelled(coding(V3_ACT_CODE, 5)), True),
    ("system not a string", labelled({"system": ["x"], "code": "N"}), True),
    ("coding not an object", labelled("PSY"), True),
    ("security not a list", labelled(meta={"security": coding(V3_ACT_CODE, "N")}), True),
    ("meta not an object", labelled(meta=["x"]), True),
    ("tag is not security", labelled(meta={"tag": [coding(V3_ACT_CODE, "PSY")]}), False),
]


@pytest.mark.parametrize(("resource", "expected"), [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_default_withheld_labels_table(resource: dict[str, Any], expected: bool) -> None:
    assert withheld(resource, DEFAULT_WITHHELD) is expected


@pytest.mark.parametrize(("resource", "_expected"), [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_nothing_withheld_without_configured_labels(
    resource: dict[str, Any], _expected: bool,
) -> None:
    assert withheld(resource, frozenset()) is False


@pytest.mark.parametrize(
    ("configured", "resource", "expected"),
    [
        ({f"{V3_ACT_CODE}|HIV"}, labelled(coding(V3_ACT_CODE, "HIV")), True),
        ({f"{V3_ACT_CODE}|HIV"}, labelled(coding(V3_ACT_CODE, "PSY")), False),
        ({f"{OLD_ACT}|HIV"}, labelled(coding(V3_ACT_CODE, "HIV")), True),
        ({f"{V3_ACT_CODE}|HIV"}, labelled(coding(OLD_ACT, "HIV")), True),
        ({f"{V3_CONFIDENTIALITY}|R"}, labelled(coding(V3_CONFIDENTIALITY, "V")), False),
        ({"http://example.org/local|SECRET"},
         labelled(coding("http://example.org/local", "SECRET")), True),
    ],
)
def test_configured_labels_after_normalising(
    configured: set[str], resource: dict[str, Any], expected: bool,
) -> None:
    assert withheld(resource, normalise_labels(configured)) is expected


@pytest.mark.parametrize("bad", ["PSY", "|PSY", f"{V3_ACT_CODE}|", ""])
def test_malformed_configured_label_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="system|code"):
        normalise_labels([bad])


@pytest.mark.parametrize(
    ("system", "code", "key"),
    [
        (OLD_ACT, "PSY", f"{V3_ACT_CODE}|PSY"),
        (OLD_CONF, "R", f"{V3_CONFIDENTIALITY}|R"),
        (V3_ACT_CODE, "PSY", f"{V3_ACT_CODE}|PSY"),
        ("http://x", "y", "http://x|y"),
    ],
)
def test_label_key_uses_the_r4_system(system: str, code: str, key: str) -> None:
    assert label_key(system, code) == key


def test_sandbox_sensitive_records_are_withheld() -> None:
    from smart_proxy.sandbox.synthetic import generate

    labelled_resources = [r for r in generate(42, 8) if r.get("meta", {}).get("security")]
    assert labelled_resources
    assert all(withheld(r, DEFAULT_WITHHELD) for r in labelled_resources)
