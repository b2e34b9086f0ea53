"""Search parameters of the clinical types the sandbox generates (Observation, Condition,
MedicationRequest, AllergyIntolerance, Immunization, Encounter, Procedure, DiagnosticReport,
DocumentReference, CarePlan, Goal).

Each line reads ``name type paths [targets]``: ``paths`` are comma-separated element paths
from the resource root (choice types spelled out, e.g. ``effectiveDateTime``); ``targets``
restrict a reference parameter to some resource types, which is how the R4 definitions'
``.where(resolve() is Patient)`` is expressed.  Names, types and paths follow the R4
SearchParameter registry (http://hl7.org/fhir/R4/searchparameter-registry.html) and the
US Core 6/7 search requirements.
"""

from __future__ import annotations

_SUBJECT = """
    subject reference subject
    patient reference subject Patient
    encounter reference encounter Encounter
"""

CLINICAL: dict[str, str] = {
    "Observation": _SUBJECT + """
        identifier token identifier
        code token code
        category token category
        status token status
        date date effectiveDateTime,effectivePeriod,effectiveInstant
        performer reference performer
        based-on reference basedOn
        has-member reference hasMember Observation,QuestionnaireResponse,MolecularSequence
        derived-from reference derivedFrom
        part-of reference partOf
        specimen reference specimen Specimen
        focus reference focus
        value-concept token valueCodeableConcept
        value-date date valueDateTime,valuePeriod
        value-string string valueString
        component-code token component.code
        combo-code token code,component.code
        data-absent-reason token dataAbsentReason
        method token method
    """,
    "Condition": _SUBJECT + """
        identifier token identifier
        code token code
        category token category
        clinical-status token clinicalStatus
        verification-status token verificationStatus
        severity token severity
        asserter reference asserter
        onset-date date onsetDateTime,onsetPeriod
        abatement-date date abatementDateTime,abatementPeriod
        recorded-date date recordedDate
        body-site token bodySite
        evidence token evidence.code
    """,
    "MedicationRequest": _SUBJECT + """
        identifier token identifier
        status token status
        intent token intent
        category token category
        priority token priority
        code token medicationCodeableConcept
        medication reference medicationReference Medication
        requester reference requester
        intended-performer reference performer
        authoredon date authoredOn
        date date dosageInstruction.timing.event
    """,
    "AllergyIntolerance": """
        identifier token identifier
        patient reference patient Patient
        clinical-status token clinicalStatus
        verification-status token verificationStatus
        type token type
        category token category
        criticality token criticality
        code token code,reaction.substance
        manifestation token reaction.manifestation
        severity token reaction.severity
        recorder reference recorder
        asserter reference asserter
        date date recordedDate
        onset date reaction.onset
        last-date date lastOccurrence
    """,
    "Immunization": """
        identifier token identifier
        patient reference patient Patient
        status token status
        vaccine-code token vaccineCode
        date date occurrenceDateTime
        performer reference performer.actor
        location reference location Location
        lot-number string lotNumber
        manufacturer reference manufacturer Organization
        reason-code token reasonCode
        status-reason token statusReason
    """,
    "Encounter": """
        identifier token identifier
        subject reference subject
        patient reference subject Patient
        status token status
        class token class
        type token type
        date date period
        participant reference participant.individual
        practitioner reference participant.individual Practitioner
        participant-type token participant.type
        location reference location.location Location
        service-provider reference serviceProvider Organization
        reason-code token reasonCode
        reason-reference reference reasonReference
        diagnosis reference diagnosis.condition
        episode-of-care reference episodeOfCare EpisodeOfCare
        part-of reference partOf Encounter
    """,
    "Procedure": _SUBJECT + """
        identifier token identifier
        status token status
        code token code
        category token category
        date date performedDateTime,performedPeriod
        performer reference performer.actor
        location reference location Location
        reason-code token reasonCode
        reason-reference reference reasonReference
        based-on reference basedOn
        part-of reference partOf
    """,
    "DiagnosticReport": _SUBJECT + """
        identifier token identifier
        status token status
        category token category
        code token code
        date date effectiveDateTime,effectivePeriod
        issued date issued
        performer reference performer
        results-interpreter reference resultsInterpreter
        result reference result Observation
        based-on reference basedOn
        specimen reference specimen Specimen
        conclusion token conclusionCode
        media reference media.link Media
    """,
    "DocumentReference": """
        identifier token identifier,masterIdentifier
        subject reference subject
        patient reference subject Patient
        encounter reference context.encounter Encounter,EpisodeOfCare
        status token status
        type token type
        category token category
        date date date
        period date context.period
        author reference author
        authenticator reference authenticator
        custodian reference custodian Organization
        contenttype token content.attachment.contentType
        format token content.format
        language token content.attachment.language
        location uri content.attachment.url
        description string description
        event token context.event
        facility token context.facilityType
        setting token context.practiceSetting
        related reference context.related
        relatesto reference relatesTo.target DocumentReference
        relation token relatesTo.code
        security-label token securityLabel
    """,
    "CarePlan": _SUBJECT + """
        identifier token identifier
        status token status
        intent token intent
        category token category
        date date period
        activity-code token activity.detail.code
        activity-date date activity.detail.scheduledPeriod
        activity-reference reference activity.reference
        performer reference activity.detail.performer
        care-team reference careTeam CareTeam
        condition reference addresses Condition
        goal reference goal Goal
        based-on reference basedOn CarePlan
        part-of reference partOf CarePlan
        replaces reference replaces CarePlan
    """,
    "Goal": """
        identifier token identifier
        subject reference subject
        patient reference subject Patient
        lifecycle-status token lifecycleStatus
        achievement-status token achievementStatus
        category token category
        start-date date startDate
        target-date date target.dueDate
    """,
}
