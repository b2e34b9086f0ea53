"""Parse YAML while remembering where every value came from.

Configuration errors must name the file and line of the offending key, so the
document is composed into nodes first and converted to plain Python values while
recording the line of each key path.  Duplicate keys are errors (YAML 1.2 says
mapping keys are unique; PyYAML would silently keep the last one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


class YamlSourceError(ValueError):
    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


@dataclass
class YamlDocument:
    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int:
        """Line of the deepest known ancestor of ``path`` (1-based)."""
        key = tuple(path)
        while key not in self.lines and key:
            key = key[:-1]
        return self.lines.get(key, 1)


def load_yaml(path: Path) -> YamlDocument:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlSourceError(file, 0, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlSourceError(file, 0, f"cannot read: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise YamlSourceError(file, line, f"invalid YAML: {exc.problem}") from None
    doc = YamlDocument(file=file, data=None)
    if node is not None:
        doc.data = _convert(node, (), doc)
    return doc


def _convert(node: yaml.Node, path: PathKey, doc: YamlDocument) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, doc)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise YamlSourceError(doc.file, line, f"keys must be strings, got {key!r}")
            if key in out:
                raise YamlSourceError(doc.file, line, f"duplicate key '{key}'")
            doc.lines[path + (key,)] = line
            out[key] = _convert(value_node, path + (key,), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), doc) for i, item in enumerate(node.value)]
    return _scalar(node, doc)


def _scalar(node: yaml.Node, doc: YamlDocument) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlSourceError(doc.file, node.start_mark.line + 1, "keys must be scalars")
    return yaml.SafeLoader(" ").construct_object(node, deep=True)
