"""Security labels (``meta.security``) that withhold a resource from an app.

Sources: FHIR R4 security-labels.html (labels are Codings in ``Resource.meta.security``);
HL7 v3 ActCode sensitivity codes (``PSY`` psychiatry, ``ETH`` substance abuse, ``HIV``,
``SUD`` substance use disorder, ``STD`` sexually transmitted disease, ...) and
v3-Confidentiality (``R`` restricted, ``V`` very restricted).  The code systems moved from
``http://hl7.org/fhir/v3/...`` (STU3) to ``http://terminology.hl7.org/CodeSystem/v3-...``
(R4); both are accepted and compared as the same system.

Labels are configured as ``system|code`` strings (``DEFAULT_WITHHELD``).  A label is matched
on system *and* code; a ``meta.security`` coding without a system matches when its code is
a withheld code (it cannot be told apart), and a ``meta.security`` that is not a list of
Codings withholds the resource: what cannot be read cannot be cleared.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType
from typing import Any

V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
SYSTEM_ALIASES: Mapping[str, str] = MappingProxyType({
    "http://hl7.org/fhir/v3/ActCode": V3_ACT_CODE,
    "http://hl7.org/fhir/v3/Confidentiality": V3_CONFIDENTIALITY,
    "urn:oid:2.16.840.1.113883.5.4": V3_ACT_CODE,
    "urn:oid:2.16.840.1.113883.5.25": V3_CONFIDENTIALITY,
})
SENSITIVE_ACT_CODES = ("PSY", "ETH", "HIV", "SUD", "STD", "SDV", "SEX", "SCA", "GDIS", "MST")
DEFAULT_WITHHELD: frozenset[str] = frozenset(
    [f"{V3_ACT_CODE}|{code}" for code in SENSITIVE_ACT_CODES]
    + [f"{V3_CONFIDENTIALITY}|R", f"{V3_CONFIDENTIALITY}|V"]
)


def label_key(system: str, code: str) -> str:
    """``system|code`` with the system spelled the R4 way."""
    return f"{SYSTEM_ALIASES.get(system, system)}|{code}"


def normalise_labels(labels: Iterable[str]) -> frozenset[str]:
    """Configured ``system|code`` labels in canonical form; ``ValueError`` on a bad one."""
    result = set()
    for label in labels:
        system, bar, code = label.rpartition("|")
        if not bar or not system or not code:
            raise ValueError(f"security label {label!r} is not 'system|code'")
        result.add(label_key(system, code))
    return frozenset(result)


def withheld(resource: Mapping[str, Any], withheld_labels: Collection[str]) -> bool:
    """Does ``resource`` carry one of ``withheld_labels`` in ``meta.security``?"""
    meta = resource.get("meta")
    if meta is None or not withheld_labels:
        return False
    if not isinstance(meta, Mapping):
        return True
    security = meta.get("security")
    if security is None:
        return False
    if not isinstance(security, list):
        return True
    return any(_coding_withheld(coding, withheld_labels) for coding in security)


def _coding_withheld(coding: object, labels: Collection[str]) -> bool:
    if not isinstance(coding, Mapping):
        return True
    system, code = coding.get("system"), coding.get("code")
    if not isinstance(code, str):
        return True
    if system is None:
        return any(label.rpartition("|")[2] == code for label in labels)
    if not isinstance(system, str):
        return True
    return f"{system}|{code}" in labels or label_key(system, code) in labels
