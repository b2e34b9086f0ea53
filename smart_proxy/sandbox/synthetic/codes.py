"""Terminology used by the synthetic record: code systems and the codes drawn from them.

Codes are real LOINC, SNOMED CT, RxNorm and CVX concepts commonly seen in US Core data;
each tuple is ``(code, display)`` unless stated otherwise.
"""

from __future__ import annotations

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
THO = "http://terminology.hl7.org/CodeSystem/"
OBS_CATEGORY = THO + "observation-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
CONDITION_CATEGORY = THO + "condition-category"
US_CORE_CONDITION_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
CONDITION_CLINICAL = THO + "condition-clinical"
CONDITION_VERIFICATION = THO + "condition-ver-status"
ALLERGY_CLINICAL = THO + "allergyintolerance-clinical"
ALLERGY_VERIFICATION = THO + "allergyintolerance-verification"
ACT_CODE = THO + "v3-ActCode"
CONFIDENTIALITY = THO + "v3-Confidentiality"
INTERPRETATION = THO + "v3-ObservationInterpretation"
MRN_SYSTEM = "http://hospital.example.org/fhir/sid/mrn"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"

#: (loinc, display, unit, low, high, decimals) for single-value vital signs.
VITALS = (
    ("8867-4", "Heart rate", "/min", 58, 96, 0),
    ("9279-1", "Respiratory rate", "/min", 12, 20, 0),
    ("8310-5", "Body temperature", "Cel", 36.2, 37.6, 1),
    ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 93, 100, 0),
)
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
WEIGHT = ("29463-7", "Body weight")
HEIGHT = ("8302-2", "Body height")
BMI = ("39156-5", "Body mass index (BMI) [Ratio]")

#: Lab panels: (loinc, display, [(loinc, display, unit, low, high, normal_low, normal_high)]).
LAB_PANELS = (
    ("24323-8", "Comprehensive metabolic 2000 panel - Serum or Plasma", (
        ("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 70, 190, 70, 99),
        ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.6, 0.6, 1.3),
        ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.3, 5.4, 3.5, 5.1),
    )),
    ("58410-2", "CBC panel - Blood by Automated count", (
        ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 10.5, 17.0, 12.0, 17.5),
        ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 3.5, 12.5,
         4.5, 11.0),
    )),
    ("57698-3", "Lipid panel with direct LDL - Serum or Plasma", (
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 140, 290, 0, 200),
        ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", 32, 80, 40,
         200),
        ("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
         "mg/dL", 60, 190, 0, 130),
    )),
)
GLUCOSE = ("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL")
HBA1C = ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%")
HIV_VIRAL_LOAD = ("20447-9", "HIV 1 RNA [#/volume] (viral load) in Serum or Plasma", "{copies}/mL")

SMOKING_STATUS = ("72166-2", "Tobacco smoking status")
SMOKING_ANSWERS = (
    ("266919005", "Never smoked tobacco"),
    ("8517006", "Ex-smoker"),
    ("449868002", "Smokes tobacco daily"),
)
PHQ2 = ("55758-7", "Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]")
PHQ9 = ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported.PHQ]")
FOOD_INSECURITY = ("88122-7", ("Within the past 12 months we worried whether our food would "
                               "run out before we got money to buy more [U.S. FSS]"))
FOOD_ANSWERS = (("LA28397-0", "Often true"), ("LA6729-3", "Sometimes true"),
                ("LA28398-8", "Never true"))
HOUSING = ("71802-3", "Housing status")
HOUSING_ANSWERS = (("LA31993-1", "I have housing"), ("LA31994-9", "I do not have housing"))

#: Encounter kinds: (class code, class display, SNOMED type, type display).
ENCOUNTER_KINDS = (
    ("AMB", "ambulatory", "185349003", "Encounter for check up (procedure)"),
    ("AMB", "ambulatory", "390906007", "Follow-up encounter (procedure)"),
    ("EMER", "emergency", "50849002", "Emergency room admission (procedure)"),
    ("VR", "virtual", "185317003", "Telephone encounter (procedure)"),
    ("IMP", "inpatient encounter", "32485007", "Hospital admission (procedure)"),
)

ACUTE_CONDITIONS = (
    ("10509002", "Acute bronchitis (disorder)"),
    ("444814009", "Viral sinusitis (disorder)"),
    ("195662009", "Acute viral pharyngitis (disorder)"),
    ("44465007", "Sprain of ankle (disorder)"),
    ("68566005", "Urinary tract infectious disease (disorder)"),
)
HEALTH_CONCERNS = (
    ("129839007", "At risk for falls (finding)"),
    ("73595000", "Stress (finding)"),
    ("162864005", "Body mass index 30+ - obesity (finding)"),
)
ACUTE_MEDICATIONS = (
    ("308182", "Amoxicillin 250 MG Oral Capsule"),
    ("310965", "Ibuprofen 200 MG Oral Tablet"),
    ("313782", "Acetaminophen 325 MG Oral Tablet"),
)

#: (code system, code, display, category, manifestation code, manifestation display).
ALLERGIES = (
    (RXNORM, "70618", "Penicillin", "medication", "247472004", "Wheal (finding)"),
    (SNOMED, "256349002", "Peanut - dietary (substance)", "food", "39579001", "Anaphylaxis"),
    (SNOMED, "111088007", "Latex (substance)", "environment", "271807003", "Eruption of skin"),
    (SNOMED, "44027008", "Seafood (substance)", "food", "126485001", "Urticaria"),
)
VACCINES = (
    ("140", "Influenza, seasonal, injectable, preservative free"),
    ("115", "Tdap"),
    ("208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"),
    ("133", "Pneumococcal conjugate PCV 13"),
    ("03", "MMR"),
)
PROCEDURES = (
    ("430193006", "Medication reconciliation (procedure)"),
    ("73761001", "Colonoscopy (procedure)"),
    ("710824005", "Assessment of health and social care needs (procedure)"),
    ("76601001", "Intramuscular injection (procedure)"),
)
NOTE_TYPES = (
    ("11506-3", "Progress note"),
    ("34117-2", "History and physical note"),
    ("18842-5", "Discharge summary"),
)
