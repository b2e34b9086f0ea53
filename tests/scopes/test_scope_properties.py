"""Hypothesis properties of the grammar and of negotiation."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from scopes.errors import ScopeSyntaxError
from scopes.grammar import SPECIAL_SCOPES, ResourceScope, SpecialScope, parse_scope
from scopes.granular import RESULT_PARAMETERS
from scopes.negotiation import MALFORMED, narrow, negotiate
from scopes.scopeset import ScopeSet

V2_PERMISSIONS = [
    "".join(combo) for n in range(1, 6) for combo in itertools.combinations("cruds", n)
]
V1_PERMISSIONS = ["read", "write", "*"]
CONTEXTS = ["patient", "user", "system"]
NOT_IN_TOKENS = [" ", '"', "\\", "\t", "\n", "\x00", "\x7f", "é", "\u2028", "#"]

names = st.from_regex(r"[a-z_][A-Za-z0-9_-]{0,20}", fullmatch=True).filter(
    lambda name: name not in RESULT_PARAMETERS)
values = st.from_regex(r"[\x21\x24\x25\x27-\x3c\x3e\x40-\x5b\x5d-\x7e]{1,40}", fullmatch=True)
types = st.one_of(st.just("*"), st.from_regex(r"[A-Z][A-Za-z]{0,63}", fullmatch=True))


@st.composite
def resource_scope_texts(draw: st.DrawFn) -> str:
    context = draw(st.sampled_from(CONTEXTS))
    resource_type = draw(types)
    if draw(st.booleans()):
        return f"{context}/{resource_type}.{draw(st.sampled_from(V1_PERMISSIONS))}"
    text = f"{context}/{resource_type}.{draw(st.sampled_from(V2_PERMISSIONS))}"
    if resource_type != "*":
        pairs = draw(st.lists(st.tuples(names, values), max_size=4, unique=True))
        if pairs:
            text += "?" + "&".join(f"{n}={v}" for n, v in pairs)
    return text


scope_texts = st.one_of(resource_scope_texts(), st.sampled_from(sorted(SPECIAL_SCOPES)))


@given(scope_texts)
def test_parse_then_format_is_the_identity(text: str) -> None:
    scope = parse_scope(text)
    assert scope.format() == text
    if isinstance(scope, ResourceScope):
        assert scope.raw == text
        assert parse_scope(scope.as_v2().format()) == scope.as_v2()


@given(resource_scope_texts())
def test_v1_and_v2_forms_grant_the_same_letters(text: str) -> None:
    scope = parse_scope(text)
    assert isinstance(scope, ResourceScope)
    converted = scope.as_v2()
    assert converted.permissions == scope.permissions
    assert converted.filter_set == scope.filter_set
    assert converted.version == 2


# --- mutations that always make a scope malformed ------------------------------------------------

@st.composite
def malformed_texts(draw: st.DrawFn) -> str:
    text = draw(scope_texts)
    scope = parse_scope(text)
    options = ["insert"]
    if isinstance(scope, SpecialScope):
        options.append("case")
    else:
        options += ["context", "no-dot", "empty-query", "double-query"]
        if scope.resource_type != "*":
            options.append("type-case")
        if scope.version == 2 and len(scope.permissions) >= 2:
            options.append("swap")
        if scope.version == 2:
            options.append("duplicate")
        if scope.version == 1 or scope.resource_type == "*":
            options.append("filter")
        if scope.filters:
            options.append("trailing-amp")
    mutation = draw(st.sampled_from(options))
    if mutation == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(NOT_IN_TOKENS)) + text[at:]
    if mutation == "case":
        return text[0].swapcase() + text[1:]
    assert isinstance(scope, ResourceScope)
    head = f"{scope.context}/{scope.resource_type}"
    rest = text[len(head) + 1:]
    if mutation == "context":
        return text[0].upper() + text[1:]
    if mutation == "type-case":
        return f"{scope.context}/{scope.resource_type[0].lower()}{text[len(scope.context) + 2:]}"
    if mutation == "no-dot":
        return head + rest
    if mutation == "empty-query":
        return text + ("&" if scope.filters else "?")
    if mutation == "double-query":
        return text + "?a=b" if scope.filters else text + "??a=b"
    if mutation == "trailing-amp":
        return text + "&"
    if mutation == "filter":
        return text + "?category=x"
    letters = scope.permission_text
    if mutation == "swap":
        shuffled = letters[::-1]
    else:  # duplicate
        index = draw(st.integers(0, len(letters) - 1))
        shuffled = letters[:index + 1] + letters[index] + letters[index + 1:]
    return f"{head}.{shuffled}{rest[len(letters):]}"


@given(malformed_texts())
def test_mutated_scopes_never_parse(text: str) -> None:
    try:
        parse_scope(text)
    except ScopeSyntaxError as error:
        assert str(error)
    else:
        raise AssertionError(f"{text!r} parsed")


@given(st.text(max_size=60))
def test_arbitrary_text_either_parses_to_itself_or_raises_scope_syntax_error(text: str) -> None:
    try:
        scope = parse_scope(text)
    except ScopeSyntaxError:
        return
    assert scope.format() == text


# --- negotiation --------------------------------------------------------------------------------

small_filters = st.lists(
    st.sampled_from([("category", "a"), ("category", "b"), ("code", "x")]), max_size=2, unique=True)


@st.composite
def small_scope_texts(draw: st.DrawFn) -> str:
    """Scopes from a small universe, so that requests and ceilings overlap often."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(["openid", "fhirUser", "launch", "launch/patient",
                                     "offline_access"]))
    context = draw(st.sampled_from(CONTEXTS[:2]))
    resource_type = draw(st.sampled_from(["Observation", "Condition", "*"]))
    if draw(st.integers(0, 3)) == 0:
        return f"{context}/{resource_type}.{draw(st.sampled_from(V1_PERMISSIONS))}"
    text = f"{context}/{resource_type}.{draw(st.sampled_from(V2_PERMISSIONS))}"
    pairs = draw(small_filters) if resource_type != "*" else []
    if pairs:
        text += "?" + "&".join(f"{n}={v}" for n, v in pairs)
    return text


# A space splits a scope string into tokens, so a malformed *token* must not contain one.
malformed_tokens = malformed_texts().filter(lambda text: " " not in text)
requests = st.lists(st.one_of(small_scope_texts(), malformed_tokens), max_size=8)


def split(text: str) -> list[str]:
    return [token for token in text.split(" ") if token]
ceilings = st.lists(small_scope_texts(), max_size=8)


def within(ceiling: ScopeSet, token: str) -> bool:
    """Oracle: every letter of ``token`` reaches at most what the ceiling opens."""
    scope = parse_scope(token)
    if isinstance(scope, SpecialScope):
        return ceiling.has(scope.name)
    for letter in scope.permissions:
        union = ceiling.filters_for(scope.resource_type, letter, {scope.context})
        if not (union.unrestricted or any(alt <= scope.filter_set for alt in union.alternatives)):
            return False
    return True


@given(requests, ceilings)
def test_negotiation_grants_only_requested_tokens_within_the_ceiling(
    requested: list[str], ceiling: list[str],
) -> None:
    result = negotiate(" ".join(requested), ceiling)
    tokens = split(" ".join(requested))
    assert set(result.granted) <= set(tokens)
    assert len(set(result.granted)) == len(result.granted)
    limit = ScopeSet.from_strings(ceiling)
    assert all(within(limit, token) for token in result.granted)
    assert list(result.granted) == [t for t in dict.fromkeys(tokens) if t in result.granted]
    accounted = set(result.granted) | {token for token, _ in result.dropped}
    for token in tokens:
        assert token in accounted or parse_scope(token) in {parse_scope(g) for g in result.granted}


@given(st.lists(malformed_tokens, min_size=1, max_size=6), ceilings)
def test_malformed_tokens_are_never_granted(malformed: list[str], ceiling: list[str]) -> None:
    whole_ceiling = ceiling + ["patient/*.cruds", "user/*.cruds", "system/*.cruds",
                               *sorted(SPECIAL_SCOPES)]
    result = negotiate(" ".join(malformed), whole_ceiling)
    tokens = set(malformed)
    assert result.granted == ()
    assert {token for token, _ in result.dropped} == tokens
    assert all(reason.startswith(MALFORMED) for _, reason in result.dropped)


@given(ceilings)
def test_requesting_the_ceiling_itself_grants_all_of_it(ceiling: list[str]) -> None:
    result = negotiate(" ".join(ceiling), ceiling)
    assert result.dropped == ()
    assert {parse_scope(t) for t in result.granted} == {parse_scope(t) for t in ceiling}


@given(requests, ceilings)
def test_refreshing_with_the_granted_scope_keeps_it_and_never_widens(
    requested: list[str], ceiling: list[str],
) -> None:
    first = negotiate(" ".join(requested), ceiling)
    assert narrow(first.granted, first.scope).granted == first.granted
    wider = narrow(first.granted, " ".join(ceiling))
    limit = ScopeSet.from_strings(first.granted)
    assert all(within(limit, token) for token in wider.granted)
