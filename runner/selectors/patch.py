"""Proposals as source: the declaring line before and after, and a patch for ``git apply``.

A locator knows the file and line it is declared on (``Loc.origin``, recorded by ``role()``,
``label()``...). The call on that line is found with ``ast`` (so a trailing comment or a
declaration spread over lines is kept as it is) and replaced by the proposal's declaration.
The patch is a unified diff with paths relative to the project root: an engineer reviews it
and runs ``git apply``; the check never edits a page object itself.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pages
from pages.base import Loc

# Where page objects' relative paths start: the folder holding the ``pages`` package.
PROJECT_ROOT = Path(pages.__file__).resolve().parent.parent


@dataclass(frozen=True)
class SourceChange:
    """One declaration rewritten: ``pages/pm.py:182`` old -> new."""

    file: Path
    line: int
    old: str  # the declaring line(s) as written
    new: str

    @property
    def where(self) -> str:
        return f"{relative(self.file)}:{self.line}"


def where(spec: Loc) -> str:
    """``pages/pm.py:182`` for a locator (empty when it was built by hand, not declared)."""
    if spec.origin is None:
        return ""
    return f"{relative(Path(spec.origin[0]))}:{spec.origin[1]}"


def relative(path: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return resolved.as_posix()


def source_change(spec: Loc, replacement: str) -> SourceChange | None:
    """The declaring line of ``spec`` with its call replaced by ``replacement`` (None if the
    source is not at hand, e.g. the locator was built outside a declaration)."""
    if spec.origin is None:
        return None
    file, line = Path(spec.origin[0]), spec.origin[1]
    try:
        source = file.read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError):
        return None
    call = _call_on(tree, line)
    if call is None or call.end_lineno is None or call.end_col_offset is None:
        return None
    lines = source.splitlines(keepends=True)
    first, last = call.lineno - 1, call.end_lineno - 1
    old = "".join(lines[first:last + 1])
    head = lines[first][:call.col_offset]
    tail = lines[last][call.end_col_offset:]
    return SourceChange(file, call.lineno, old, head + replacement + tail)


def _call_on(tree: ast.AST, line: int) -> ast.Call | None:
    """The outermost call starting on ``line`` (the declaring ``role(...)`` of an assignment)."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno == line]
    return min(calls, key=lambda c: c.col_offset) if calls else None


def _function(line: str) -> str:
    """The declaring function a line calls: ``role`` in ``x = role("button", ...)``."""
    call = _call_on(ast.parse(line.strip()), 1)
    return call.func.id if call is not None and isinstance(call.func, ast.Name) else ""


def _with_imports(lines: list[str], needed: set[str]) -> list[str]:
    """``lines`` with ``from pages.base import`` extended by the declaring functions a
    proposal uses and the file does not import yet (e.g. ``form_field``)."""
    tree = ast.parse("".join(lines))
    found = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
             and n.module == "pages.base"]
    node = found[0] if found else None
    if node is None or node.end_lineno is None:
        return lines
    names = {alias.name for alias in node.names}
    missing = sorted(name for name in needed - names if name)
    if not missing:
        return lines
    merged = sorted(names | set(missing), key=lambda n: (not n[0].isupper(), n.lower()))
    first, last = node.lineno - 1, node.end_lineno - 1
    if last > first:  # parenthesized, one name a line (the house style)
        text = "from pages.base import (\n" + "".join(f"    {n},\n" for n in merged) + ")\n"
    else:
        text = f"from pages.base import {', '.join(merged)}\n"
    return lines[:first] + text.splitlines(keepends=True) + lines[last + 1:]


def unified_patch(changes: list[SourceChange], notes: Sequence[str] = ()) -> str:
    """One diff for all changes (one change per declaration: the first given wins).

    ``notes`` head the patch as ``#`` lines (a money control needing review): ``git apply``
    reads from the first ``---`` line, so they travel with the patch and change nothing.
    """
    by_file: dict[Path, dict[int, SourceChange]] = {}
    for change in changes:
        by_file.setdefault(change.file, {}).setdefault(change.line, change)
    parts: list[str] = []
    for file in sorted(by_file):
        before = file.read_text(encoding="utf-8").splitlines(keepends=True)
        after = list(before)
        for line, change in sorted(by_file[file].items(), reverse=True):
            span = len(change.old.splitlines())
            after[line - 1:line - 1 + span] = change.new.splitlines(keepends=True)
        needed = {_function(c.new) for c in by_file[file].values()}
        after = _with_imports(after, needed)
        name = relative(file)
        parts.extend(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))
    head = "".join(f"# {note}\n" for note in notes)
    return head + "".join(parts)
