"""scopes.references: every reference form → (type, id), or None (peer-gateways.md (c) 11)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scopes.references import Ref, RefKind, parse_reference, reference_key, split_or_list

UUID = "urn:uuid:98e27e8b-0e0a-4b8f-a444-6e37e003049c"

# (value, expected type or None, expected (type, id) or None)
RESOURCE_FORMS = [
    ("Patient/123", None, ("Patient", "123")),
    ("Patient/p1", None, ("Patient", "p1")),
    ("Patient/p10", None, ("Patient", "p10")),
    ("Observation/obs-p1-1", None, ("Observation", "obs-p1-1")),
    ("Patient/a.b-C9", None, ("Patient", "a.b-C9")),
    ("Patient/" + "x" * 64, None, ("Patient", "x" * 64)),
    ("Patient/123/_history/2", None, ("Patient", "123")),
    ("Patient/p1/_history/abc-1", None, ("Patient", "p1")),
    ("https://any.host/fhir/Patient/123", None, ("Patient", "123")),
    ("http://any.host/fhir/Patient/123", None, ("Patient", "123")),
    ("https://any.host/Patient/123", None, ("Patient", "123")),
    ("https://host:8443/r4/tenant/a/Patient/123", None, ("Patient", "123")),
    ("https://any.host/fhir/Patient/123/_history/2", None, ("Patient", "123")),
    ("https://[::1]:8080/fhir/Patient/9", None, ("Patient", "9")),
    ("https://other.server/fhir/Patient/p2", None, ("Patient", "p2")),
    ("https://h/fhir/Patient/p2/Observation/5", None, ("Observation", "5")),
    ("Patient%2F123", None, ("Patient", "123")),
    ("Patient%2f123", None, ("Patient", "123")),
    ("https%3A%2F%2Fh%2Ffhir%2FPatient%2F7", None, ("Patient", "7")),
    ("Patient/p%31", None, ("Patient", "p1")),
    (" Patient/123", None, ("Patient", "123")),
    ("Patient/123 ", None, ("Patient", "123")),
    ("\tPatient/123\n", None, ("Patient", "123")),
    ("Patient/123\u00a0", None, ("Patient", "123")),
    ("123", "Patient", ("Patient", "123")),
    ("p1", "Patient", ("Patient", "p1")),
    (" p1 ", "Patient", ("Patient", "p1")),
    ("Patient", "Patient", ("Patient", "Patient")),
    ("Patient/123", "Patient", ("Patient", "123")),
    ("https://h/fhir/Patient/123", "Patient", ("Patient", "123")),
    ("Patient%2F123", "Patient", ("Patient", "123")),
    ("Patient/123/_history/2", "Patient", ("Patient", "123")),
    ("Group/g1", "Group", ("Group", "g1")),
    ("Encounter/e1", None, ("Encounter", "e1")),
    ("SomeFutureType/1", None, ("SomeFutureType", "1")),
]

MALFORMED = [
    ("", None), (" ", None), ("Patient/", None), ("/Patient/1", None), ("Patient//1", None),
    ("patient/1", None), ("PATIENT/1", None), ("Patient/1/", None), ("Patient/1/extra", None),
    ("Patient/1/_history", None), ("Patient/1/_history/", None), ("Patient/1/_history/2/x", None),
    ("Patient/1 2", None), ("Patient /1", None), ("PaTiEnT/1", None), ("https://h/PATIENT/1", None),
    ("Patient/" + "x" * 65, None), ("Patient/a_b", None), ("Patient/a:b", None),
    ("Patient/ä", None), ("Patient/%FF", None), ("Patient%252F123", None),
    ("Patient/1?x=y", None), ("Patient/1#frag", None), ("fhir/Patient/1", None),
    ("P/1", None), ("1/Patient", None), ("123", None), ("p1", None),
    ("https://h/fhir/Patient/1/", None), ("https://h/fhir/Patient/1?_format=json", None),
    ("https://h/fhir/Patient/1#x", None), ("https://h//Patient/1", None),
    ("https://h/fhir/Patient/p1/../p2", None), ("https://h/fhir/./Patient/p1", None),
    ("https://user@h/fhir/Patient/1", None), ("ftp://h/fhir/Patient/1", None),
    ("HTTPS://h/fhir/Patient/1", None), ("https://", None), ("https://h", None),
    ("https://h/", None), ("https://h/1", None), ("urn:oid:1.2.3", None), ("urn:uuid:", None),
    ("urn:uuid:not-a-uuid", None), ("#", "Patient"), ("#x", "Patient"),
    (UUID, "Patient"), ("Observation/1", "Patient"), ("https://h/Group/1", "Patient"),
    ("a b", "Patient"), ("", "Patient"), ("p%2F1", "Patient"), ("Patient/1/2", "Patient"),
    ("#a b", None), ("#" + "x" * 65, None), ("Patient?identifier=x|1", None),
]


@pytest.mark.parametrize(("value", "expected_type", "key"), RESOURCE_FORMS)
def test_reference_form_normalises_to_type_and_id(
    value: str, expected_type: str | None, key: tuple[str, str],
) -> None:
    ref = parse_reference(value, expected_type)
    assert ref is not None and ref.kind is RefKind.RESOURCE
    assert ref.key == key
    assert reference_key(value, expected_type) == key


@pytest.mark.parametrize(("value", "expected_type"), MALFORMED)
def test_malformed_reference_is_none(value: str, expected_type: str | None) -> None:
    assert parse_reference(value, expected_type) is None
    assert reference_key(value, expected_type) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (UUID, Ref(RefKind.UUID, "", UUID)),
        (UUID.upper().replace("URN:UUID:", "urn:uuid:"), Ref(RefKind.UUID, "", UUID)),
        (f" {UUID} ", Ref(RefKind.UUID, "", UUID)),
        ("#med1", Ref(RefKind.CONTAINED, "", "med1")),
        ("#p", Ref(RefKind.CONTAINED, "", "p")),
        ("#", Ref(RefKind.CONTAINED, "", "")),
        ("%23x", Ref(RefKind.CONTAINED, "", "x")),
    ],
)
def test_uuid_and_contained_references_keep_their_kind(value: str, expected: Ref) -> None:
    assert parse_reference(value) == expected
    assert reference_key(value) is None


@pytest.mark.parametrize("value", [None, 1, 1.5, True, ["Patient/1"], {"reference": "Patient/1"}])
def test_non_string_reference_is_none(value: object) -> None:
    assert parse_reference(value) is None
    assert parse_reference(value, "Patient") is None


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Patient/1", "https://h/fhir/Patient/1", True),
        ("Patient/1", "Patient/1/_history/3", True),
        ("Patient/1", "Patient%2F1", True),
        ("Patient/12", "Patient/123", False),
        ("Patient/p1", "Patient/p10", False),
        ("Patient/p1", "Patient/P1", False),
        ("Patient/1", "Practitioner/1", False),
        ("Patient/1", "#1", False),
    ],
)
def test_equal_references_compare_equal_and_no_prefix_trap(
    first: str, second: str, same: bool,
) -> None:
    assert (parse_reference(first) == parse_reference(second)) is same


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("a", ("a",)),
        ("a,b", ("a", "b")),
        ("a,b,c", ("a", "b", "c")),
        ("Patient/1,Patient/2", ("Patient/1", "Patient/2")),
        ("", ("",)),
        (",", ("", "")),
        ("a,", ("a", "")),
        (",a", ("", "a")),
        ("a,,b", ("a", "", "b")),
        (r"a\,b", ("a,b",)),
        (r"a\,b,c", ("a,b", "c")),
        (r"a\\,b", ("a\\\\", "b")),
        (r"sys\|code,other", (r"sys\|code", "other")),
        (r"money\$5,x", (r"money\$5", "x")),
        ("a\\", ("a\\",)),
        (r"\,", (",",)),
        ("s|c1,s|c2", ("s|c1", "s|c2")),
    ],
)
def test_split_or_list_respects_fhir_escapes(value: str, parts: tuple[str, ...]) -> None:
    assert split_or_list(value) == parts


@given(st.lists(st.from_regex(r"[A-Za-z0-9|./:-]{0,12}", fullmatch=True), min_size=1))
def test_split_or_list_inverts_a_plain_join(parts: list[str]) -> None:
    assert split_or_list(",".join(parts)) == tuple(parts)


@given(st.text(max_size=40))
def test_parse_reference_never_raises(text: str) -> None:
    ref = parse_reference(text)
    assert ref is None or isinstance(ref, Ref)


@given(
    st.from_regex(r"[A-Z][A-Za-z]{1,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True),
    st.sampled_from(["", "https://h/fhir/", "http://x.y:80/a/b/"]),
    st.sampled_from(["", "/_history/1"]),
)
def test_every_literal_form_names_the_same_resource(
    type_: str, id_: str, base: str, version: str,
) -> None:
    if id_ in (".", ".."):
        return
    assert reference_key(f"{base}{type_}/{id_}{version}") == (type_, id_)
