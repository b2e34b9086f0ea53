"""What a write may carry and what it may overwrite: the checks behind ``Decision.body_rule``
and ``Decision.requires_stored_read`` (DESIGN decisions 5 and 6; peer-gateways.md (c) 5-7, 10).

``check_body(resource, ...)``, for create, update, the result of a patch, and every write
entry of a batch or transaction, in this order:

1. shape (``400``): a JSON object of the URL's type; for an update its ``id`` equals the
   URL's (R4 http.html#update: "If no id element is provided, or the id disagrees with the
   id in the URL, the server SHALL respond with an HTTP 400");
2. under a ``patient/`` grant (``ALL_PATIENT_REFS_MUST_BE_P``), with ``scopes.patient_refs``
   walking every element, extension, contained and nested resource:
   - a reference to another patient is ``403``;
   - inside a transaction a ``urn:uuid:`` reference resolves through ``internal`` (entry
     ``fullUrl`` → the type of its resource, bundle.html#references): to a Patient entry it
     is ``403``, to another entry it is fine, to nothing it is ``400``;
   - what cannot be interpreted (an identifier-only Patient reference, a ``urn:uuid:``
     outside a transaction, a ``#id`` naming no contained resource) and an embedded Patient
     resource are ``400``, with the reason;
   - a logical Reference (``identifier`` or ``display``, no literal ``reference``,
     references.html#logical) whose ``type`` is absent or ``Patient`` is ``400``
     (``scopes.write_refs.logical_references``): it could name any patient.  With a
     declared non-Patient ``type`` it is fine.  Reads are not held to this;
   - the resource must be in the patient's compartment: the patient's own record, or a
     compartment type that references the patient (``scopes.membership``), else ``403``;
3. the granular filters of the write scope (``PostChecks.granular``), else ``403``.

``stored_passes(resource, ...)``: the stored version a write would replace or delete (or the
one match of a conditional write) must be one the grant reaches: same type and id, no
withheld security label, in the patient's compartment, matching the granular filters.  The
caller answers a failure exactly like absence (``404``, decision 6).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from scopes.granular_match import matches
from scopes.labels import normalise_labels, withheld
from scopes.membership import visible
from scopes.patient_refs import PatientRefs, patient_references
from scopes.references import RefKind, parse_reference
from scopes.scopeset import FilterUnion
from scopes.write_refs import logical_references

_UUID_PREFIX = "urn:uuid:"


@dataclass(frozen=True, slots=True)
class Verdict:
    """``status`` 200: the body may be forwarded; 400 or 403 with ``message`` otherwise."""

    status: int
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


ALLOWED = Verdict(200)


def check_body(
    resource: object, *, resource_type: str, patient: str | None = None,
    granular: FilterUnion | None = None, resource_id: str | None = None,
    internal: Mapping[str, str] | None = None,
) -> Verdict:
    """The verdict on one body (module docstring).  ``patient``: the body rule's patient
    (``None``: no patient rule); ``internal``: a transaction's ``urn:uuid`` targets."""
    if not isinstance(resource, Mapping) or resource.get("resourceType") != resource_type:
        return Verdict(400, f"The body must be a {resource_type} resource in FHIR JSON.")
    if resource_id is not None and resource.get("id") != resource_id:
        return Verdict(400, f"The body's id must equal the id in the URL ({resource_id}).")
    if patient is not None:
        verdict = _patient_rule(resource, resource_type, patient, internal)
        if not verdict.ok:
            return verdict
    if granular is not None and not matches(resource, granular):
        return Verdict(403, "The resource is outside the filters of the granted scopes.")
    return ALLOWED


def stored_passes(
    resource: object, *, resource_type: str, resource_id: str | None = None,
    patient: str | None = None, granular: FilterUnion | None = None,
    withheld_labels: Collection[str] = (),
) -> bool:
    """May a write of this grant replace or delete ``resource``?  (module docstring)"""
    if not isinstance(resource, Mapping) or resource.get("resourceType") != resource_type:
        return False
    if resource_id is not None and resource.get("id") != resource_id:
        return False
    if withheld_labels and withheld(resource, normalise_labels(withheld_labels)):
        return False
    if patient is not None:
        refs = patient_references(resource)
        if not visible(resource, patient=patient, refs=refs).visible:
            return False
        if resource_type != "Patient" and patient not in refs.ids:
            return False
    return granular is None or matches(resource, granular)


def transaction_targets(entries: object) -> dict[str, str]:
    """``urn:uuid:`` full URLs of a transaction's entries → the type of the entry's resource.

    A full URL given to more than one entry names no entry (bundle.html: ``fullUrl`` is
    unique); a reference to it is uninterpretable.
    """
    targets: dict[str, str] = {}
    repeated: set[str] = set()
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, Mapping):
            continue
        ref = parse_reference(entry.get("fullUrl"))
        resource = entry.get("resource")
        if ref is None or ref.kind is not RefKind.UUID or not isinstance(resource, Mapping):
            continue
        if ref.id in targets:
            repeated.add(ref.id)
        targets[ref.id] = str(resource.get("resourceType"))
    return {urn: kind for urn, kind in targets.items() if urn not in repeated}


def _patient_rule(
    resource: Mapping[str, Any], resource_type: str, patient: str,
    internal: Mapping[str, str] | None,
) -> Verdict:
    refs = patient_references(resource)
    unresolved: list[str] = []
    to_patient_entry: list[str] = []
    for item in refs.uninterpretable:
        target = internal.get(item) if internal is not None else None
        if target is None:
            unresolved.append(_why(item, internal is not None))
        elif target == "Patient":
            to_patient_entry.append(item)
    others = sorted(refs.ids - {patient})
    if others or to_patient_entry:
        return Verdict(403, "The resource references a patient other than the patient in "
                            "context; every Patient reference must name that patient.")
    if refs.embedded_patients:
        return Verdict(400, "The resource embeds a Patient resource (contained or nested); "
                            "reference the patient in context instead.")
    if unresolved:
        return Verdict(400, f"A reference cannot be interpreted: {unresolved[0]}.")
    logical = logical_references(resource)
    if logical:
        return Verdict(400, f"A reference cannot be interpreted: {logical[0]} is a logical "
                            "reference (identifier or display, no literal reference) that "
                            "could name any patient; give a literal reference, or a type "
                            "other than Patient.")
    understood = PatientRefs(refs.ids)
    if not visible(resource, patient=patient, refs=understood).visible or (
            resource_type != "Patient" and patient not in refs.ids):
        return Verdict(403, "The resource is not in the compartment of the patient in "
                            "context: it must reference that patient.")
    return ALLOWED


def _why(item: str, in_transaction: bool) -> str:
    if item.startswith(_UUID_PREFIX):
        return (f"{item} names no entry of this transaction" if in_transaction
                else f"{item} is only meaningful inside a transaction")
    return item


def labels_kept(stored: Mapping[str, Any], result: object) -> bool:
    """Does ``result`` still carry every security label of ``stored``?

    Labels are how a patient's consent withholds records (``scopes.labels``): an app that
    may write a record may add labels to it, never remove one, or another app the patient
    withheld the record from would then read it.
    """
    def labels(resource: object) -> set[tuple[object, object]]:
        meta = resource.get("meta") if isinstance(resource, Mapping) else None
        codings = meta.get("security") if isinstance(meta, Mapping) else None
        return {(c.get("system"), c.get("code")) for c in codings or ()
                if isinstance(c, Mapping)} if isinstance(codings, list) else set()

    return labels(stored) <= labels(result)
