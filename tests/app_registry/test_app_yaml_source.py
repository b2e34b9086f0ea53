"""parse_yaml: safe values, a line for every key path, YAML-level problems collected."""

from __future__ import annotations

import pytest

from app_registry.yaml_source import MAX_NODES, parse_yaml

TEXT = """\
# comment
apps:
  - client_id: viewer
    scopes:
      - openid

      - fhirUser
    when: 2026-01-01
    count: 3
    flag: true
    nothing:
"""


def test_values_and_lines() -> None:
    document = parse_yaml(TEXT)
    assert document.problems == ()
    assert document.value == {
        "apps": [
            {
                "client_id": "viewer",
                "scopes": ["openid", "fhirUser"],
                "when": "2026-01-01",
                "count": 3,
                "flag": True,
                "nothing": None,
            }
        ]
    }
    assert dict(document.lines) == {
        (): 2,
        ("apps",): 2,
        ("apps", 0): 3,
        ("apps", 0, "client_id"): 3,
        ("apps", 0, "scopes"): 4,
        ("apps", 0, "scopes", 0): 5,
        ("apps", 0, "scopes", 1): 7,
        ("apps", 0, "when"): 8,
        ("apps", 0, "count"): 9,
        ("apps", 0, "flag"): 10,
        ("apps", 0, "nothing"): 11,
    }


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("apps", 0, "scopes", 1), 7),
        (("apps", 0, "scopes", 9), 4),  # falls back to the nearest known ancestor
        (("apps", 0, "missing", "deeper"), 3),
        (("elsewhere",), 2),
    ],
)
def test_line_of(path: tuple[str | int, ...], line: int) -> None:
    assert parse_yaml(TEXT).line_of(path) == line


@pytest.mark.parametrize(
    "text",
    ["when: 2026-01-01", "when: 2026-01-01T10:00:00Z", "when: 2026-01-01 10:00:00"],
)
def test_timestamps_stay_strings(text: str) -> None:
    assert parse_yaml(text).value == {"when": text.split(": ", 1)[1]}


def test_aliases_are_expanded() -> None:
    document = parse_yaml("common: &s [openid, fhirUser]\napps:\n  - scopes: *s\n")
    assert document.problems == ()
    assert document.value["apps"][0]["scopes"] == ["openid", "fhirUser"]
    assert document.line_of(("apps", 0, "scopes")) == 3


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("a: 1\nb: 2\na: 3\n", [(("a",), 3, "duplicate key 'a' (first at line 1)")]),
        ("x:\n  a: 1\n  a: 1\n", [(("x", "a"), 3, "duplicate key 'a' (first at line 2)")]),
        ("1: one\n", [((), 1, "key '1' must be a string (quote it)")]),
        ("null: x\n", [((), 1, "key 'null' must be a string (quote it)")]),
        ("[a]: x\n", [((), 1, "key ['a'] must be a string (quote it)")]),
        (
            "a: !!python/object:os.system x\n",
            [(("a",), 1, "unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'")],
        ),
        ("a: !!set {x}\n", [(("a",), 1, "unsupported YAML tag 'tag:yaml.org,2002:set'")]),
        ("a: &x [*x]\n", [(("a", 0), 1, "recursive YAML alias")]),
        (
            "b: {k: 1}\na:\n  <<: {k: 2}\n",
            [(("a",), 3, "YAML merge keys ('<<') are not supported")],
        ),
        (
            "a: [\n",
            [
                (
                    (),
                    2,
                    "YAML syntax error: while parsing a flow node: expected the node content, but found '<stream end>'",
                )
            ],
        ),
        (
            "a: 1\n---\nb: 2\n",
            [
                (
                    (),
                    2,
                    "YAML syntax error: expected a single document in the stream, but found another document (from line 1)",
                )
            ],
        ),
        (
            "a: 'x\n",
            [
                (
                    (),
                    2,
                    "YAML syntax error: while scanning a quoted scalar: found unexpected end of stream (from line 1)",
                )
            ],
        ),
        (
            "a:\n\t- b\n",
            [
                (
                    (),
                    2,
                    "YAML syntax error: while scanning for the next token: found character '\\t' that cannot start any token",
                )
            ],
        ),
        ("a: b\x07\n", [((), 1, "YAML syntax error: unacceptable character #x0007")]),
    ],
)
def test_yaml_problems(text: str, problems: list[tuple[tuple[str | int, ...], int, str]]) -> None:
    assert list(parse_yaml(text).problems) == problems


def test_no_python_objects_are_ever_built() -> None:
    document = parse_yaml("a: !!python/object/apply:os.system ['echo pwned']\n")
    assert document.value == {"a": ["echo pwned"]}  # plain data; os.system never ran
    assert document.problems == (
        (("a",), 1, "unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    )


def test_alias_bombs_are_refused() -> None:
    text = "a: &a [" + ", ".join(["x"] * 10) + "]\n"
    for level in "bcdef":
        previous = chr(ord(level) - 1)
        text += f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    document = parse_yaml(text)
    assert document.value is None
    assert document.problems == (
        ((), 1, f"document has more than {MAX_NODES} YAML nodes (alias expansion?)"),
    )


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_documents(text: str) -> None:
    document = parse_yaml(text)
    assert (document.value, document.problems) == (None, ())
