"""The FHIR R4 Patient compartment, as data.

Source: the Patient CompartmentDefinition of FHIR R4 (4.0.1),
http://hl7.org/fhir/R4/compartmentdefinition-patient.html
(``http://hl7.org/fhir/CompartmentDefinition/patient``).

Each key is a resource type that *may* be in a patient's compartment; its value lists the
search parameters of that type whose reference(s) decide membership: a resource is in the
compartment of ``Patient/X`` when any of the named parameters refers to ``Patient/X``
(http://hl7.org/fhir/R4/compartmentdefinition.html).  ``Patient`` itself is in its own
compartment by identity and in the compartments of the patients it ``link``s to.

Resource types not listed here (Binary, Practitioner, Organization, Location, Medication,
...) are never in a patient compartment.

This module is pure data: the proxy's policy engine and the sandbox FHIR server share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

PATIENT_COMPARTMENT: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Account": ("subject",),
        "AdverseEvent": ("subject",),
        "AllergyIntolerance": ("patient", "recorder", "asserter"),
        "Appointment": ("actor",),
        "AppointmentResponse": ("actor",),
        "AuditEvent": ("patient",),
        "Basic": ("patient", "author"),
        "BodyStructure": ("patient",),
        "CarePlan": ("patient", "performer"),
        "CareTeam": ("patient", "participant"),
        "ChargeItem": ("subject",),
        "Claim": ("patient", "payee"),
        "ClaimResponse": ("patient",),
        "ClinicalImpression": ("subject",),
        "Communication": ("subject", "sender", "recipient"),
        "CommunicationRequest": ("subject", "sender", "recipient", "requester"),
        "Composition": ("subject", "author", "attester"),
        "Condition": ("patient", "asserter"),
        "Consent": ("patient",),
        "Coverage": ("policy-holder", "subscriber", "beneficiary", "payor"),
        "CoverageEligibilityRequest": ("patient",),
        "CoverageEligibilityResponse": ("patient",),
        "DetectedIssue": ("patient",),
        "DeviceRequest": ("subject", "performer"),
        "DeviceUseStatement": ("subject",),
        "DiagnosticReport": ("subject",),
        "DocumentManifest": ("subject", "author", "recipient"),
        "DocumentReference": ("subject", "author"),
        "Encounter": ("patient",),
        "EnrollmentRequest": ("subject",),
        "EpisodeOfCare": ("patient",),
        "ExplanationOfBenefit": ("patient", "payee"),
        "FamilyMemberHistory": ("patient",),
        "Flag": ("patient",),
        "Goal": ("patient",),
        "Group": ("member",),
        "ImagingStudy": ("patient",),
        "Immunization": ("patient",),
        "ImmunizationEvaluation": ("patient",),
        "ImmunizationRecommendation": ("patient",),
        "Invoice": ("subject", "patient", "recipient"),
        "List": ("subject", "source"),
        "MeasureReport": ("patient",),
        "Media": ("subject",),
        "MedicationAdministration": ("patient", "performer", "subject"),
        "MedicationDispense": ("subject", "patient", "receiver"),
        "MedicationRequest": ("subject",),
        "MedicationStatement": ("subject",),
        "MolecularSequence": ("patient",),
        "NutritionOrder": ("patient",),
        "Observation": ("subject", "performer"),
        "Patient": ("link",),
        "Person": ("patient",),
        "Procedure": ("patient", "performer"),
        "Provenance": ("patient",),
        "QuestionnaireResponse": ("subject", "author"),
        "RelatedPerson": ("patient",),
        "RequestGroup": ("subject", "participant"),
        "ResearchSubject": ("individual",),
        "RiskAssessment": ("subject",),
        "Schedule": ("actor",),
        "ServiceRequest": ("subject", "performer"),
        "Specimen": ("subject",),
        "SupplyDelivery": ("patient",),
        "SupplyRequest": ("subject",),
        "VisionPrescription": ("patient",),
    }
)
