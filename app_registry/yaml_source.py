"""YAML text to plain Python values, remembering the line of every key and item.

The registry is parsed with a :class:`yaml.SafeLoader` subclass (no arbitrary
objects, ever), but instead of ``yaml.safe_load`` the node tree is composed and
converted here so that:

* every mapping key and list item keeps its line number, for ``file:line`` errors;
* a duplicate key is an error (PyYAML silently keeps the last one, which would let
  a second ``redirect_uris:`` hide the first);
* dates stay strings (the implicit timestamp resolver is removed), so the JSON
  Schema sees exactly what the admin wrote;
* anchors and aliases work, but recursive aliases and alias bombs are refused.

Problems are collected, not raised: :func:`parse_yaml` always returns a document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from app_registry.errors import KeyPath

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
#: Upper bound on converted nodes; aliases can otherwise expand exponentially.
MAX_NODES = 100_000


class RegistryYamlLoader(yaml.SafeLoader):
    """SafeLoader that leaves ``2026-01-01`` as the string the admin typed."""


RegistryYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class YamlDocument:
    """A parsed document: its value, the line of each key path, and YAML-level problems."""

    value: Any
    lines: Mapping[KeyPath, int]
    problems: tuple[tuple[KeyPath, int, str], ...] = ()

    def line_of(self, path: KeyPath) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def _mark_line(mark: Any) -> int:
    return int(mark.line) + 1


def _syntax_problem(exc: yaml.YAMLError, text: str) -> tuple[KeyPath, int, str]:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        line = _mark_line(exc.problem_mark)
        detail = exc.problem or "invalid YAML"
        if exc.context:
            joiner = ": " if exc.context.startswith("while") else ", "
            detail = f"{exc.context}{joiner}{detail}"
        if exc.context_mark is not None and _mark_line(exc.context_mark) != line:
            detail = f"{detail} (from line {_mark_line(exc.context_mark)})"
        return (), line, f"YAML syntax error: {detail}"
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return (), line, f"YAML syntax error: unacceptable character #x{exc.character:04x}"
    return (), 1, f"YAML syntax error: {exc}"


@dataclass
class _Converter:
    loader: RegistryYamlLoader
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[tuple[KeyPath, int, str]] = field(default_factory=list)
    active: set[int] = field(default_factory=set)
    budget: int = MAX_NODES

    def problem(self, path: KeyPath, node: yaml.Node, message: str) -> None:
        self.problems.append((path, _mark_line(node.start_mark), message))

    def convert(self, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, _mark_line(node.start_mark))
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge(node)
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.loader.construct_object(node, deep=True)
            except yaml.YAMLError:
                self.problem(path, node, f"unsupported YAML tag {node.tag!r}")
                return node.value
        if node.tag not in _COLLECTION_TAGS:
            self.problem(path, node, f"unsupported YAML tag {node.tag!r}")
        if id(node) in self.active:
            self.problem(path, node, "recursive YAML alias")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self.convert_mapping(node, path)
            return None
        finally:
            self.active.discard(id(node))

    def convert_mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.problem(path, key_node, "YAML merge keys ('<<') are not supported")
                continue
            key = self.convert(key_node, (*path, "<key>"))
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else key
                self.problem(path, key_node, f"key {shown!r} must be a string (quote it)")
                continue
            key_path = (*path, key)
            if key in result:
                first = self.lines[key_path]
                self.problem(key_path, key_node, f"duplicate key {key!r} (first at line {first})")
                continue
            self.lines[key_path] = _mark_line(key_node.start_mark)
            result[key] = self.convert(value_node, key_path)
        return result


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; syntax errors come back as problems at path ``()``."""
    try:
        loader = RegistryYamlLoader(text)
    except yaml.YAMLError as exc:
        return YamlDocument(value=None, lines={}, problems=(_syntax_problem(exc, text),))
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(value=None, lines={(): 1})
        converter = _Converter(loader)
        try:
            value = converter.convert(node, ())
        except _TooLarge as exc:
            message = f"document has more than {MAX_NODES} YAML nodes (alias expansion?)"
            return YamlDocument(None, {}, (((), _mark_line(exc.node.start_mark), message),))
        lines = {path: line for path, line in converter.lines.items() if "<key>" not in path}
        return YamlDocument(value, lines, tuple(converter.problems))
    except yaml.YAMLError as exc:
        return YamlDocument(value=None, lines={}, problems=(_syntax_problem(exc, text),))
    finally:
        loader.dispose()
