"""Property tests: nothing but RegistryError escapes the loader; redirect matching is exact."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app_registry import (
    Audience,
    ClientType,
    LaunchType,
    RegisteredApp,
    Registry,
    RegistryError,
    load_registry_text,
)
from app_registry.uris import https_uri_problem, launch_uri_problem, redirect_uri_problem
from app_registry.yaml_source import parse_yaml

YAML_ALPHABET = st.sampled_from(
    list("apps:- \n\t[]{},'\"&*!#|>?%@`abc0123.:/\\") + ["client_id", "scopes"]
)
yaml_like = st.lists(YAML_ALPHABET, max_size=80).map("".join)


@given(st.one_of(st.text(max_size=200), yaml_like))
def test_loader_either_loads_or_raises_registry_error(text: str) -> None:
    try:
        registry = load_registry_text(text, "fuzz.yaml")
    except RegistryError as error:
        assert error.errors
        assert all(problem.file == "fuzz.yaml" for problem in error.errors)
        assert all(problem.line is None or problem.line >= 1 for problem in error.errors)
    else:
        assert isinstance(registry, Registry)


@given(st.one_of(st.text(max_size=200), yaml_like))
def test_parse_yaml_never_raises(text: str) -> None:
    document = parse_yaml(text)
    assert all(line >= 1 for line in document.lines.values())


@given(st.text(max_size=120))
def test_uri_checks_never_raise(uri: str) -> None:
    for check in (redirect_uri_problem, launch_uri_problem, https_uri_problem):
        problem = check(uri)
        assert problem is None or problem.startswith(repr(uri))


REGISTERED = ("https://app.example/cb", "http://127.0.0.1:9999/callback", "com.example.app:/cb")
APP = RegisteredApp(
    client_id="viewer",
    name="Viewer",
    client_type=ClientType.PUBLIC,
    audience=Audience.PATIENT,
    launch_types=frozenset({LaunchType.STANDALONE}),
    scopes=("openid",),
    redirect_uris=REGISTERED,
)


@given(st.sampled_from(REGISTERED), st.text(min_size=1, max_size=40))
def test_a_registered_uri_plus_anything_does_not_match(registered: str, suffix: str) -> None:
    assert APP.check_redirect_uri(registered) is True
    assert APP.check_redirect_uri(registered + suffix) is False
    assert APP.check_redirect_uri(suffix + registered) is False


@given(st.sampled_from(REGISTERED), st.data())
def test_a_prefix_or_case_variant_does_not_match(registered: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(registered) - 1))
    assert APP.check_redirect_uri(registered[:cut]) is False
    index = data.draw(st.integers(min_value=0, max_value=len(registered) - 1))
    flipped = registered[:index] + registered[index].swapcase() + registered[index + 1 :]
    assert APP.check_redirect_uri(flipped) is (flipped == registered)
