"""JSON Patch (RFC 6902), unit-level; the HTTP PATCH interaction is in test_writes."""

from __future__ import annotations

from typing import Any

import pytest

from smart_proxy.json_patch import PatchError, PatchFailed, apply_patch

DOC = {"a": {"b": [1, 2, 3], "c": "x"}, "tilde~key": 1, "slash/key": 2}


@pytest.mark.parametrize(("ops", "expected"), [
    ([{"op": "add", "path": "/a/d", "value": True}], {**DOC, "a": {**DOC["a"], "d": True}}),
    ([{"op": "add", "path": "/a/b/1", "value": 9}], {**DOC, "a": {"b": [1, 9, 2, 3], "c": "x"}}),
    ([{"op": "add", "path": "/a/b/-", "value": 4}], {**DOC, "a": {"b": [1, 2, 3, 4], "c": "x"}}),
    ([{"op": "remove", "path": "/a/b/0"}], {**DOC, "a": {"b": [2, 3], "c": "x"}}),
    ([{"op": "replace", "path": "/a/c", "value": "y"}], {**DOC, "a": {"b": [1, 2, 3], "c": "y"}}),
    ([{"op": "move", "from": "/a/c", "path": "/z"}], {**DOC, "a": {"b": [1, 2, 3]}, "z": "x"}),
    ([{"op": "copy", "from": "/a/b", "path": "/a/e"}],
     {**DOC, "a": {"b": [1, 2, 3], "c": "x", "e": [1, 2, 3]}}),
    ([{"op": "test", "path": "/a/b", "value": [1, 2, 3]}], DOC),
    ([{"op": "remove", "path": "/tilde~0key"}, {"op": "remove", "path": "/slash~1key"}],
     {"a": DOC["a"]}),
    ([{"op": "replace", "path": "", "value": {"new": 1}}], {"new": 1}),
])
def test_operations(ops: list[dict[str, Any]], expected: Any) -> None:
    assert apply_patch(DOC, ops) == expected


def test_the_input_is_never_modified() -> None:
    apply_patch(DOC, [{"op": "remove", "path": "/a/b/0"}])
    assert DOC["a"]["b"] == [1, 2, 3]  # type: ignore[index]


@pytest.mark.parametrize("value", [[1, 2], "x", {"b": [1, 2, 3]}])
def test_failed_test(value: Any) -> None:
    with pytest.raises(PatchFailed):
        apply_patch(DOC, [{"op": "test", "path": "/a/b", "value": value}])


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(PatchFailed):
        apply_patch({"n": 1}, [{"op": "test", "path": "/n", "value": True}])
    assert apply_patch({"n": 1}, [{"op": "test", "path": "/n", "value": 1.0}]) == {"n": 1}


@pytest.mark.parametrize("ops", [
    {"op": "add"},
    [{"path": "/a"}],
    [{"op": "frobnicate", "path": "/a"}],
    [{"op": "add", "path": "a", "value": 1}],
    [{"op": "add", "path": "/a/c"}],
    [{"op": "remove", "path": "/missing"}],
    [{"op": "replace", "path": "/a/b/7", "value": 1}],
    [{"op": "add", "path": "/a/b/01", "value": 1}],
    [{"op": "add", "path": "/a/c/x", "value": 1}],
    [{"op": "move", "from": "/a", "path": "/a/inner"}],
    [{"op": "remove", "path": ""}],
    # RFC 6901 section 4: an array index is ASCII 0|[1-9][0-9]*, nothing else
    [{"op": "replace", "path": "/a/b/\u0661", "value": 9}],  # ARABIC-INDIC DIGIT ONE
    [{"op": "replace", "path": "/a/b/\u00b2", "value": 9}],  # SUPERSCRIPT TWO: was ValueError
    [{"op": "remove", "path": "/a/b/\uff11"}],  # FULLWIDTH DIGIT ONE
    [{"op": "add", "path": "/a/b/+1", "value": 9}],
    [{"op": "add", "path": "/a/b/-1", "value": 9}],
    [{"op": "add", "path": "/a/b/1\n", "value": 9}],
    [{"op": "remove", "path": "/a/b/-"}],
    [{"op": "test", "path": "/a/b/\u00b2", "value": 1}],
    # section 3: "~" is only "~0" or "~1"
    [{"op": "remove", "path": "/tilde~2key"}],
    [{"op": "remove", "path": "/tilde~"}],
    [{"op": "copy", "from": "/a~b", "path": "/z"}],
])
def test_malformed_or_inapplicable(ops: Any) -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(DOC, ops)
    assert not isinstance(caught.value, PatchFailed)


@pytest.mark.parametrize("document", [{"n": 2**70}, {"s": {1, 2}}, {"b": b"\xff"}])
def test_a_document_that_is_not_json_is_a_patch_error(document: Any) -> None:
    with pytest.raises(PatchError):
        apply_patch(document, [{"op": "add", "path": "/x", "value": 1}])


def test_all_or_nothing() -> None:
    with pytest.raises(PatchFailed):
        apply_patch(DOC, [{"op": "remove", "path": "/a"}, {"op": "test", "path": "/x", "value": 1}])
    assert "a" in DOC
