"""Search parameters of the directory and record-keeping types the sandbox generates:
Patient, Practitioner, Organization, Location, Medication, RelatedPerson, Provenance.

Each line reads ``name type paths [targets]``: ``paths`` are comma-separated element paths
from the resource root (choice types spelled out, e.g. ``effectiveDateTime``); ``targets``
restrict a reference parameter to some resource types, which is how the R4 definitions'
``.where(resolve() is Patient)`` is expressed.  Names, types and paths follow the R4
SearchParameter registry (http://hl7.org/fhir/R4/searchparameter-registry.html) and the
US Core 6/7 search requirements.
"""

from __future__ import annotations

DIRECTORY: dict[str, str] = {
    "Patient": """
        identifier token identifier
        name string name
        family string name.family
        given string name.given
        gender token gender
        birthdate date birthDate
        death-date date deceasedDateTime
        active token active
        address string address
        address-city string address.city
        address-state string address.state
        address-postalcode string address.postalCode
        address-country string address.country
        telecom token telecom
        language token communication.language
        general-practitioner reference generalPractitioner
        organization reference managingOrganization Organization
        link reference link.other Patient,RelatedPerson
    """,
    "Practitioner": """
        identifier token identifier
        name string name
        family string name.family
        given string name.given
        gender token gender
        active token active
        address string address
        telecom token telecom
    """,
    "Organization": """
        identifier token identifier
        name string name,alias
        active token active
        type token type
        address string address
        address-city string address.city
        address-state string address.state
        partof reference partOf Organization
    """,
    "Location": """
        identifier token identifier
        name string name,alias
        status token status
        type token type
        address string address
        address-city string address.city
        address-state string address.state
        organization reference managingOrganization Organization
        partof reference partOf Location
    """,
    "Medication": """
        identifier token identifier
        code token code
        status token status
        form token form
        manufacturer reference manufacturer Organization
        ingredient-code token ingredient.itemCodeableConcept
    """,
    "RelatedPerson": """
        identifier token identifier
        patient reference patient Patient
        name string name
        relationship token relationship
        gender token gender
        birthdate date birthDate
        active token active
        telecom token telecom
    """,
    "Provenance": """
        target reference target
        patient reference target Patient
        agent reference agent.who
        agent-role token agent.role
        agent-type token agent.type
        entity reference entity.what
        location reference location Location
        recorded date recorded
        when date occurredDateTime,occurredPeriod
        signature-type token signature.type
    """,
}
