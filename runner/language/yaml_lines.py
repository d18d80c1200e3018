"""YAML that remembers where everything came from.

A flow author who mistypes an action name wants ``flows/x.yaml:14``, not a dotted path into a
parsed dict. The loader below is PyYAML's safe loader with its mapping and sequence constructors
swapped for ones that keep each node's 1-based start line, and it refuses duplicate keys, which
PyYAML would otherwise resolve silently in favour of the last one.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from runner.errors import ErrorCode, RunnerError

# Flows and configs are a few kilobytes; a bigger file is a wrong path, not a flow.
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Issue:
    """One problem in a file, where a person can find it; ``via`` names the place that brought
    the file in (a part's ``use:`` step, the end step reaching a named outcome)."""

    file: str
    line: int
    field: str
    message: str
    via: str = ""

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        via = f" ({self.via})" if self.via else ""
        return f"{self.file}:{self.line}:{field} {self.message}{via}"


class FlowError(RunnerError):
    """A flow file cannot be read or parsed."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.FLOW_YAML_INVALID,
                 issues: list[Issue] | None = None, **context: Any) -> None:
        super().__init__(message, code, context)
        self.issues: list[Issue] = list(issues or [])

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.issues:
            out["issues"] = [str(issue) for issue in self.issues]
        return out


class LineDict(dict[Any, Any]):
    """A mapping with the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        """The line of ``key`` if present, else the mapping's own line (where it should be)."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence with the line it starts on and the line of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class LineStr(str):
    """A string scalar with its line, so an expression error can point at the expression."""

    line: int = 0


def line_of(value: Any, default: int = 0) -> int:
    """The recorded line of any loaded value; ints and bools carry none, so fall back."""
    return getattr(value, "line", 0) or default


class LineLoader(yaml.SafeLoader):
    """SafeLoader whose containers and strings carry their source lines."""

    def construct_line_map(self, node: MappingNode) -> Any:
        data = LineDict()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError as exc:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    "found an unhashable key", key_node.start_mark) from exc
            if key in data.key_lines:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r} (first on line {data.key_lines[key]})",
                    key_node.start_mark)
            data[key] = self.construct_object(value_node, deep=True)
            data.key_lines[key] = key_node.start_mark.line + 1

    def construct_line_seq(self, node: SequenceNode) -> Any:
        data = LineList()
        data.line = node.start_mark.line + 1
        data.item_lines = [child.start_mark.line + 1 for child in node.value]
        yield data
        data.extend(self.construct_object(child, deep=True) for child in node.value)

    def construct_line_str(self, node: Node) -> LineStr:
        value = LineStr(self.construct_scalar(node))  # type: ignore[arg-type]
        value.line = node.start_mark.line + 1
        return value


LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_line_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", LineLoader.construct_line_seq)
LineLoader.add_constructor("tag:yaml.org,2002:str", LineLoader.construct_line_str)


def _snippet(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def loads(text: str, path: str | Path = "<string>") -> Any:
    """Parse one YAML document; a syntax error becomes a FlowError at ``path:line``."""
    try:
        return yaml.load(text, Loader=LineLoader)  # noqa: S506  (LineLoader is a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        snippet = _snippet(text, line)
        issue = Issue(str(path), line, "", problem + (f": {snippet!r}" if snippet else ""))
        raise FlowError(str(issue), issues=[issue]) from exc
    except yaml.YAMLError as exc:
        issue = Issue(str(path), 1, "", f"invalid YAML: {exc}")
        raise FlowError(str(issue), issues=[issue]) from exc
    except RecursionError as exc:  # PyYAML composes nested nodes recursively
        issue = Issue(str(path), 1, "", "nested too deeply to read (thousands of levels)")
        raise FlowError(str(issue), code=ErrorCode.YAML_TOO_DEEP, issues=[issue]) from exc


def load(path: str | Path) -> Any:
    """Read and parse a YAML file with line numbers."""
    return loads(read_text(path), path)


def read_text(path: str | Path) -> str:
    """A YAML file's text; anything but a readable, bounded UTF-8 regular file is a FlowError."""
    try:
        # Non-blocking, so that a named pipe cannot hang the open; harmless for a file.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            kind = stat.S_IFMT(os.fstat(handle.fileno()).st_mode)
            if kind != stat.S_IFREG:  # a device (/dev/zero), a pipe or a folder never ends well
                raise FlowError(f"{path}: not a regular file", code=ErrorCode.FLOW_UNREADABLE)
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise FlowError(f"{path}: no such file", code=ErrorCode.FLOW_NOT_FOUND) from exc
    except IsADirectoryError as exc:
        raise FlowError(f"{path}: is a folder, not a file",
                        code=ErrorCode.FLOW_UNREADABLE) from exc
    except OSError as exc:
        raise FlowError(f"{path}: cannot read: {exc.strerror}",
                        code=ErrorCode.FLOW_UNREADABLE) from exc
    if len(data) > MAX_BYTES:
        raise FlowError(f"{path}: larger than {MAX_BYTES} bytes", code=ErrorCode.FLOW_UNREADABLE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FlowError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                        code=ErrorCode.FLOW_UNREADABLE) from exc
