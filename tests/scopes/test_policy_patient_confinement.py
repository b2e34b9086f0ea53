"""Property: under a patient grant no search reaches upstream naming anyone but the patient.

For generated searches (type and compartment searches of compartment types, Patient itself,
every reference form, OR-lists, repeated parameters, modifiers), the decision is either an
empty searchset, a refusal, or an upstream query that (a) carries a parameter confining it
to ``Patient/p1`` (or ``_id=p1``, or the ``Patient/p1/...`` path), and (b) names no other
patient in any value, however it is decoded.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from scopes.access import compartment_params
from scopes.compartment import PATIENT_COMPARTMENT
from scopes.decision import Reason
from scopes.narrowing import confining_param, patient_params
from scopes.policy import decide
from scopes.query import parse_key, split_values
from scopes.request import parse_request
from tests.scopes.policy_calls import grant

PATIENT = "p1"
GRANT = grant("patient/*.rs", PATIENT)
TYPES = sorted({*PATIENT_COMPARTMENT, "Device"} - {"Patient"})
IDS = ["p1", "p2", "p10", "P1", "p", "x1", "p1.0"]
OTHER_NAMES = ["code", "focus", "_id", "category", "date", "_count", "encounter", "target"]
MODIFIERS = ["", ":Patient", ":Group", ":missing", ":identifier", ":Practitioner"]


def _forms(ident: str) -> list[str]:
    return [
        ident, f"Patient/{ident}", f"https://ehr.example/fhir/Patient/{ident}",
        f"Patient/{ident}/_history/2", quote(f"Patient/{ident}", safe=""),
        quote(quote(f"Patient/{ident}", safe=""), safe=""), f"Practitioner/{ident}",
        f"Group/{ident}", f" {ident} ", f"Patient/{ident}/",
    ]


atoms = st.sampled_from(IDS).flatmap(lambda i: st.sampled_from(_forms(i))) | st.sampled_from(
    ["laboratory", "http://loinc.org|1234-5", "true", "", "urn:uuid:x", "#c1"])
values = st.lists(atoms, min_size=1, max_size=3).map(",".join)


@st.composite
def searches(draw: st.DrawFn) -> tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]:
    rtype = draw(st.sampled_from([*TYPES, "Patient"]))
    names = sorted(patient_params(rtype) | {"patient", "subject", *OTHER_NAMES})
    keys = st.tuples(st.sampled_from(names), st.sampled_from(MODIFIERS)).map("".join)
    params = tuple(draw(st.lists(st.tuples(keys, values), max_size=4)))
    if rtype != "Patient" and draw(st.booleans()):
        return rtype, ("Patient", draw(st.sampled_from(IDS)), rtype), params
    return rtype, (rtype,), params


def _named_patients(value: str, bare_is_patient: bool) -> list[str]:
    """An independent, naive oracle: the patient ids a value could be read as naming."""
    named = []
    for atom in split_values(value):
        text = atom
        for _ in range(4):
            text = unquote(text)
        text = text.strip()
        found = re.findall(r"Patient/([^/,]*)", text)
        named.extend(found)
        if not found and bare_is_patient and "/" not in text:
            named.append(text)
    return named


def _naming(rtype: str, raw: str) -> bool:
    key = parse_key(raw)
    return key.name in patient_params(rtype) and key.modifier in (None, "Patient")


@settings(max_examples=1000, deadline=None)
@given(searches())
def test_patient_searches_never_name_another_patient(
    search: tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]],
) -> None:
    rtype, path, params = search
    decision = decide(GRANT, parse_request("GET", path, params))
    asked = [n for raw, v in params for n in _named_patients(v, _naming(rtype, raw))]
    if decision.reason in (Reason.REFUSED_PARAMETER, Reason.EMPTY_RESULT):
        assert decision.mutations.params == ()
        return
    assert decision.reason is Reason.ALLOWED, decision
    assert all(n == PATIENT for n in asked), (params, decision.mutations.params)
    final = decision.mutations.params
    for raw, value in final:
        key = parse_key(raw)
        own_id = rtype == "Patient" and key.name == "_id" and key.modifier is None
        named = _named_patients(value, _naming(rtype, raw) or own_id)
        assert all(n == PATIENT for n in named), (raw, value)
    if len(path) == 3:
        assert path[1] == PATIENT
    elif rtype == "Patient":
        assert ("_id", PATIENT) in final
    else:
        confining = {confining_param(rtype), "subject"} & (patient_params(rtype) | {"patient"})
        assert any(n in confining and v == f"Patient/{PATIENT}" for n, v in final), final
    assert decision.post_checks.confine_to_patient == PATIENT


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TYPES), st.sampled_from(IDS))
def test_compartment_searches_are_confined(rtype: str, owner: str) -> None:
    decision = decide(GRANT, parse_request("GET", ["Patient", owner, rtype]))
    assert decision.allowed
    assert decision.mutations.empty_result is (owner != PATIENT)
    assert compartment_params(rtype) is not None
