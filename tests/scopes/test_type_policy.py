"""``decide`` at type and interaction level: a table of grant × call → decision."""

from __future__ import annotations

import pytest

from scopes import ScopeSet
from scopes.decision import Reason
from scopes.policy import GrantContext, decide
from scopes.request import parse_request

LAB = "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"


def call(text: str):  # noqa: ANN201
    method, _, path = text.partition(" ")
    path, _, query = path.partition("?")
    params = [tuple(p.split("=", 1)) for p in query.split("&")] if query else []
    media = "application/json-patch+json" if method == "PATCH" else None
    return parse_request(method, path.split("/") if path else [], params, content_type=media)


CASES = [
    # scopes, patient, fhirUser, call, reason
    (["patient/Observation.rs"], "p1", None, "GET Observation/o1", Reason.ALLOWED),
    (["patient/Observation.rs"], "p1", None, "GET Observation/o1/_history/2", Reason.ALLOWED),
    (["patient/Observation.rs"], "p1", None, "GET Observation/o1/_history", Reason.ALLOWED),
    (["patient/Observation.rs"], "p1", None, "GET Observation?code=1", Reason.ALLOWED),
    (["patient/Observation.rs"], "p1", None, "POST Observation/_search", Reason.ALLOWED),
    (["patient/Observation.rs"], "p1", None, "GET Observation/_history", Reason.UNSUPPORTED),
    (["patient/Observation.rs"], "p1", None, "GET Patient/p1/Observation", Reason.ALLOWED),
    (["patient/Observation.r"], "p1", None, "GET Observation?code=1", Reason.INSUFFICIENT_SCOPE),
    (["patient/Observation.s"], "p1", None, "GET Observation/o1", Reason.INSUFFICIENT_SCOPE),
    (["patient/Observation.rs"], "p1", None, "POST Observation", Reason.INSUFFICIENT_SCOPE),
    (["patient/Observation.c"], "p1", None, "POST Observation", Reason.ALLOWED),
    (["patient/Observation.u"], "p1", None, "PUT Observation/o1", Reason.ALLOWED),
    (["patient/Observation.u"], "p1", None, "PATCH Observation/o1", Reason.ALLOWED),
    (["patient/Observation.u"], "p1", None, "PUT Observation?identifier=a", Reason.ALLOWED),
    (["patient/Observation.d"], "p1", None, "DELETE Observation/o1", Reason.ALLOWED),
    (["patient/Observation.cud"], "p1", None, "GET Observation/o1", Reason.INSUFFICIENT_SCOPE),
    (["patient/Observation.write"], "p1", None, "DELETE Observation/o1", Reason.ALLOWED),
    (["patient/Observation.write"], "p1", None, "GET Observation/o1", Reason.INSUFFICIENT_SCOPE),
    (["patient/Observation.read"], "p1", None, "GET Observation?code=1", Reason.ALLOWED),
    (["patient/Observation.*"], "p1", None, "DELETE Observation/o1", Reason.ALLOWED),
    (["patient/*.rs"], "p1", None, "GET Condition/c1", Reason.ALLOWED),
    (["patient/*.rs"], "p1", None, "GET Patient/p1/*", Reason.ALLOWED),
    (["patient/*.rs"], "p1", None, "PUT Condition/c1", Reason.INSUFFICIENT_SCOPE),
    (["patient/*.rs"], None, None, "GET Condition/c1", Reason.NO_CONTEXT),
    (["user/*.rs"], None, "Practitioner/x", "GET Condition/c1", Reason.ALLOWED),
    (["user/*.rs"], "p1", None, "GET Condition/c1", Reason.NO_CONTEXT),
    (["system/*.rs"], None, None, "GET Condition/c1", Reason.ALLOWED),
    (["system/Patient.rs"], None, None, "GET Condition/c1", Reason.INSUFFICIENT_SCOPE),
    (["openid", "fhirUser", "launch/patient"], "p1", "Patient/p1", "GET Patient/p1", Reason.INSUFFICIENT_SCOPE),
    ([], "p1", None, "GET Patient/p1", Reason.INSUFFICIENT_SCOPE),
    # Filtered-only access was refused as a stopgap; it is now narrowed and post-checked.
    ([LAB], "p1", None, "GET Observation?category=laboratory", Reason.ALLOWED),
    ([LAB, "patient/Observation.rs"], "p1", None, "GET Observation?code=1", Reason.ALLOWED),
    (["patient/*.rs"], "p1", None, "GET metadata", Reason.PUBLIC),
    ([], None, None, "GET metadata", Reason.PUBLIC),
    # $everything was refused as a stopgap; it is now allowed with a mandatory post-filter.
    (["patient/*.cruds"], "p1", None, "GET Patient/p1/$everything", Reason.ALLOWED),
    (["system/*.cruds"], None, None, "GET $export", Reason.UNSUPPORTED),
    (["patient/*.cruds"], "p1", None, "POST ", Reason.UNSUPPORTED),
    (["patient/*.cruds"], "p1", None, "GET ", Reason.UNSUPPORTED),
    (["patient/*.cruds"], "p1", None, "POST _search", Reason.UNSUPPORTED),
    (["patient/*.cruds"], "p1", None, "GET _history", Reason.UNSUPPORTED),
]


@pytest.mark.parametrize(("scopes", "patient", "fhir_user", "text", "reason"), CASES)
def test_type_level_decisions(
    scopes: list[str], patient: str | None, fhir_user: str | None, text: str, reason: Reason
) -> None:
    grant = GrantContext(ScopeSet.from_strings(scopes), patient, fhir_user)
    decision = decide(grant, call(text))
    assert decision.reason is reason
    assert decision.allowed is (reason in (Reason.ALLOWED, Reason.PUBLIC))
    assert decision.status == {Reason.ALLOWED: 200, Reason.PUBLIC: 200, Reason.UNSUPPORTED: 400}.get(reason, 403)
