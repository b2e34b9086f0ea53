"""The CapabilityStatement the app sees: the upstream's, plus SMART security.

SMART App Launch 2.2 §"Using the CapabilityStatement" (conformance.html): the
``rest[].security`` element carries the ``oauth-uris`` extension naming the
authorize and token endpoints (plus, optionally, register/manage/introspect/revoke)
and the ``SMART-on-FHIR`` service coding.  Upstream security information is
replaced, never merged: it describes the upstream's trust in the proxy, not the
app's path in.
"""

from __future__ import annotations

from typing import Any

from ..endpoints import Endpoints

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"


def smart_security(endpoints: Endpoints) -> dict[str, Any]:
    uris = [
        ("authorize", endpoints.authorize),
        ("token", endpoints.token),
        ("introspect", endpoints.introspect),
        ("revoke", endpoints.revoke),
        ("manage", endpoints.manage),
    ]
    return {
        "extension": [
            {
                "url": OAUTH_URIS,
                "extension": [{"url": name, "valueUri": str(url)} for name, url in uris],
            }
        ],
        "service": [
            {
                "coding": [{"system": SECURITY_SERVICE, "code": "SMART-on-FHIR"}],
                "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
            }
        ],
    }


def with_smart_security(document: Any, endpoints: Endpoints) -> Any:
    if not isinstance(document, dict) or document.get("resourceType") != "CapabilityStatement":
        return document
    rests = document.get("rest")
    if not isinstance(rests, list) or not rests:
        rests = [{"mode": "server"}]
    for rest in rests:
        if isinstance(rest, dict) and rest.get("mode", "server") == "server":
            rest["security"] = smart_security(endpoints)
    document["rest"] = rests
    document["implementation"] = {
        "description": "SMART on FHIR security proxy",
        "url": str(endpoints.fhir_base),
    }
    return document
