"""Parts, branches and named outcomes, lowered to the flat list of steps the executor runs.

A flow says each thing once: ``use: PART`` brings in the steps of ``parts/PART.yaml`` beside the
flow (with parameters), ``if:`` / ``then:`` / ``else:`` is a branch, and ``end: OUTCOME`` takes
the outcome's status and messages from the one place they are written (``outcomes:`` in the
flow, or ``parts/outcomes.yaml`` for every flow). This module rewrites such a document before
its shape is read: every step of a part or a branch becomes one step of a flat list, in the
order written, each keeping its own id, file and lines, with the conditions of the branches
around it kept beside its own ``when:``. The executor runs that list as it always has; the
validator also gets the tree, to check the rules that follow paths (every path ends).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runner.language.model import Arm, BranchNode, Node, Origin, StepNode, UseNode
from runner.language.parse import NAME, did_you_mean
from runner.language.yaml_lines import FlowError, Issue, LineDict, LineList, LineStr, load

PARTS_FOLDER = "parts"
OUTCOMES_FILE = "outcomes.yaml"
_PARAM = re.compile(r"\$\{\s*params\.([A-Za-z0-9_]+)\s*\}")
_PART_KEYS = ("part", "description", "inputs", "params", "steps")
_USE_KEYS = ("use", "with", "description")
_IF_KEYS = ("if", "then", "else", "description")
_OUTCOME_KEYS = ("status", "message", "detail", "params", "description")
_OUTCOME_FIELDS = ("status", "message", "detail")
_PARAM_KEYS = ("description", "default")


@dataclass
class Composed:
    """The flow document with its steps flat and every input its parts declare, and beside it
    what the flat list forgot: each step's origin and branches, and the tree as written."""

    doc: Any
    origins: list[Origin] = field(default_factory=list)
    arms: list[tuple[Arm, ...]] = field(default_factory=list)
    input_files: dict[str, str] = field(default_factory=dict)
    tree: tuple[Node, ...] = ()
    issues: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class _Scope:
    """What holds where a block is written: its file, its part's parameters, the branches
    around it, the ``use:`` chain that brought it in, and the parts open (to refuse a cycle)."""

    file: str
    params: Mapping[str, str]
    arms: tuple[Arm, ...] = ()
    via: str = ""
    parts: tuple[str, ...] = ()


def parts_folder(flow_path: str | Path) -> Path:
    """Where a flow's parts are: ``parts/`` beside the flow file."""
    return Path(flow_path).parent / PARTS_FOLDER


def _copy_dict(raw: LineDict, values: Mapping[Any, Any]) -> LineDict:
    out = LineDict(values)
    out.line, out.key_lines = raw.line, dict(raw.key_lines)
    return out


def _substitute(value: Any, params: Mapping[str, str], unknown: Callable[[int, str], None]) -> Any:
    """``value`` with every ``${params.NAME}`` replaced by the parameter's text."""
    if isinstance(value, LineDict):
        return _copy_dict(value, {k: _substitute(v, params, unknown) for k, v in value.items()})
    if isinstance(value, LineList):
        out = LineList(_substitute(v, params, unknown) for v in value)
        out.line, out.item_lines = value.line, list(value.item_lines)
        return out
    if isinstance(value, str) and "params." in value:
        line = getattr(value, "line", 0)

        def one(match: re.Match[str]) -> str:
            if match.group(1) not in params:
                unknown(line, match.group(1))
                return ""
            return params[match.group(1)]

        text = LineStr(_PARAM.sub(one, value))
        text.line = line
        return text
    return value


class _Composer:
    def __init__(self, path: str, parts: Path | None) -> None:
        self.path, self.parts = path, parts
        self.out = Composed(None)
        self.flat = LineList()
        self.flat.item_lines = []
        self.inputs = LineDict()
        self.inputs.key_lines = {}
        self.outcomes: dict[str, tuple[LineDict, str]] = {}
        self.branches = 0

    def add(self, file: str, line: int, where: str, message: str, via: str = "") -> None:
        self.out.issues.append(Issue(file, line, where, message, via))

    def unknown_keys(self, raw: LineDict, allowed: tuple[str, ...], file: str, where: str,
                     via: str = "") -> None:
        for key in raw:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or f" (allowed: {', '.join(allowed)})"
                self.add(file, raw.line_of(key), f"{where}.{key}".lstrip("."),
                         f"unknown field {key!r}{hint}", via)

    # the document

    def compose(self, doc: Any) -> Composed:
        self.out.doc = doc
        if not isinstance(doc, LineDict) or not isinstance(doc.get("steps"), LineList):
            return self.out  # the shape reader says what is wrong
        self.load_outcomes(doc)
        self.merge_inputs(doc.get("inputs"), self.path)
        steps = doc["steps"]
        self.flat.line = steps.line
        self.out.tree = self.block(steps, _Scope(self.path, {}), "steps")
        flow = _copy_dict(doc, {**doc, "steps": self.flat})
        if self.inputs and isinstance(doc.get("inputs", LineDict()), LineDict):
            flow["inputs"] = self.inputs
            flow.key_lines.setdefault("inputs", doc.line)
        self.out.doc = flow
        return self.out

    def merge_inputs(self, raw: Any, file: str) -> None:
        """A part brings the inputs it reads; the first declaration of a name stands."""
        if not isinstance(raw, LineDict):
            return
        self.inputs.line = self.inputs.line or raw.line
        for name, spec in raw.items():
            if name not in self.inputs:
                self.inputs[name] = spec
                self.inputs.key_lines[name] = raw.line_of(name)
                self.out.input_files[str(name)] = file

    def load_outcomes(self, doc: LineDict) -> None:
        shared = self.parts / OUTCOMES_FILE if self.parts else None
        if shared is not None and shared.is_file():
            loaded = self.read(shared)
            if isinstance(loaded, LineDict):
                self.unknown_keys(loaded, ("outcomes", "description"), str(shared), "")
                self.outcome_table(loaded.get("outcomes"), str(shared))
        self.outcome_table(doc.get("outcomes"), self.path)

    def outcome_table(self, raw: Any, file: str) -> None:
        if raw is None:
            return
        if not isinstance(raw, LineDict):
            self.add(file, getattr(raw, "line", 1), "outcomes",
                     "must map outcome names to {status, message, detail, params}")
            return
        for name, spec in raw.items():
            where = f"outcomes.{name}"
            if not isinstance(name, str) or not NAME.match(name) or not isinstance(spec,
                                                                                  LineDict):
                self.add(file, raw.line_of(name), where, "an outcome is a lower_snake_case name "
                         "mapped to {status, message, detail, params}")
                continue
            self.unknown_keys(spec, _OUTCOME_KEYS, file, where)
            if name in self.outcomes:
                first, first_file = self.outcomes[name]
                self.add(file, raw.line_of(name), where, f"outcome {name!r} is already defined "
                         f"at {first_file}:{first.line}; an outcome has one message")
                continue
            self.outcomes[name] = (spec, file)

    def read(self, path: Path) -> Any:
        """A part's or the outcomes' YAML; a file that does not parse has its own issues."""
        try:
            return load(path)
        except FlowError as exc:
            self.out.issues.extend(exc.issues or [Issue(str(path), 1, "", str(exc))])
            return None

    # blocks

    def block(self, items: LineList, scope: _Scope, where: str) -> tuple[Node, ...]:
        nodes: list[Node] = []
        for i, item in enumerate(items):
            here, line = f"{where}[{i}]", items.line_of(i)
            node: Node | None
            if isinstance(item, LineDict) and "use" in item:
                node = self.use(item, scope, here)
            elif isinstance(item, LineDict) and "if" in item:
                node = self.branch(item, scope, here)
            else:
                node = self.step(item, scope, here, line)
            if node is not None:
                nodes.append(node)
        return tuple(nodes)

    def step(self, item: Any, scope: _Scope, where: str, line: int) -> StepNode:
        fields: dict[str, tuple[str, str, str]] = {}
        if isinstance(item, LineDict):
            item = self.substitute(item, scope, where)
            item, fields = self.outcome(item, scope, where)
        self.flat.append(item)
        self.flat.item_lines.append(line)
        self.out.origins.append(Origin(scope.file, where, scope.via, fields))
        self.out.arms.append(scope.arms)
        return StepNode(len(self.flat) - 1, scope.file, line, where)

    def substitute(self, value: Any, scope: _Scope, where: str) -> Any:
        def unknown(line: int, name: str) -> None:
            takes = ", ".join(scope.params) or "none"
            self.add(scope.file, line, where, f"unknown parameter 'params.{name}'"
                     f"{did_you_mean(name, scope.params)} (this file takes: {takes})", scope.via)

        return _substitute(value, scope.params, unknown)

    def outcome(self, item: LineDict, scope: _Scope,
                where: str) -> tuple[LineDict, dict[str, tuple[str, str, str]]]:
        """An end naming a declared outcome takes its status, message and detail from it."""
        name = item.get("end")
        if not isinstance(name, str) or name not in self.outcomes:
            return item, {}
        spec, file = self.outcomes[name]
        for key in _OUTCOME_FIELDS:
            if key in item:
                self.add(scope.file, item.line_of(key), f"{where}.{key}",
                         f"outcome {name!r} has its {key} in one place, {file}:{spec.line}; "
                         "remove it here", scope.via)
        params = self.params(spec.get("params"), item.get("with"), file, f"outcome {name}",
                             item, scope, where)
        via = f"outcome {name} reached from {scope.file}:{item.line}"
        inner = _Scope(file, params, via=via)
        body = {k: v for k, v in item.items() if k != "with"}
        found: dict[str, tuple[str, str, str]] = {}
        out = _copy_dict(item, body)
        for key in _OUTCOME_FIELDS:
            if key in spec:
                out[key] = self.substitute(spec[key], inner, f"outcomes.{name}.{key}")
                out.key_lines[key] = spec.line_of(key)
                found[key] = (file, f"outcomes.{name}.{key}", via)
        return out, found

    def params(self, declared: Any, given: Any, file: str, what: str, item: LineDict,
               scope: _Scope, where: str) -> dict[str, str]:
        """The text of each parameter a part or an outcome declares, from the using step's
        ``with:`` (itself read with the parameters of the file it is written in)."""
        decl = declared if isinstance(declared, LineDict) else LineDict()
        if declared is not None and not isinstance(declared, LineDict):
            self.add(file, getattr(declared, "line", 1), "params",
                     "must map parameter names to {description, default}")
        values = self.substitute(given, scope, where) if given is not None else LineDict()
        if not isinstance(values, LineDict):
            self.add(scope.file, item.line_of("with"), f"{where}.with",
                     "must be a mapping of parameter: text", scope.via)
            values = LineDict()
        for name in values:
            if name not in decl:
                takes = ", ".join(map(str, decl)) or "none"
                self.add(scope.file, values.line_of(name), f"{where}.with.{name}",
                         f"unknown parameter {name!r} for {what}{did_you_mean(name, decl)} "
                         f"(takes: {takes})", scope.via)
        out: dict[str, str] = {}
        for name, spec in decl.items():
            spec = spec if isinstance(spec, LineDict) else LineDict()
            self.unknown_keys(spec, _PARAM_KEYS, file, f"params.{name}")
            if name in values and isinstance(values[name], str | int | float):
                out[str(name)] = str(values[name])
            elif name in values:
                self.add(scope.file, values.line_of(name), f"{where}.with.{name}",
                         "a parameter is text", scope.via)
            elif "default" in spec:
                out[str(name)] = str(spec["default"] or "")
            else:
                about = f" ({spec['description']})" if spec.get("description") else ""
                self.add(scope.file, item.line, f"{where}.with",
                         f"missing parameter {name!r} for {what}{about}", scope.via)
                out[str(name)] = ""  # said once here, not again at every use inside
        return out

    def use(self, item: LineDict, scope: _Scope, where: str) -> UseNode | None:
        self.unknown_keys(item, _USE_KEYS, scope.file, where, scope.via)
        name = item.get("use")
        line = item.line_of("use")
        if not isinstance(name, str) or not NAME.match(name):
            self.add(scope.file, line, f"{where}.use",
                     f"a part's name is lower_snake_case, not {name!r}", scope.via)
            return None
        known = sorted(p.stem for p in self.parts.glob("*.yaml")
                       if p.name != OUTCOMES_FILE) if self.parts and self.parts.is_dir() else []
        if name in scope.parts:
            chain = " -> ".join((*scope.parts, name))
            self.add(scope.file, line, f"{where}.use", f"part {name!r} uses itself ({chain})",
                     scope.via)
            return None
        if name not in known:
            self.add(scope.file, line, f"{where}.use", f"unknown part {name!r}"
                     f"{did_you_mean(name, known)} (parts in {self.parts}: "
                     f"{', '.join(known) or 'none'})", scope.via)
            return None
        assert self.parts is not None
        path = self.parts / f"{name}.yaml"
        file = str(path)
        via = f"used at {scope.file}:{item.line}" + (f", {scope.via}" if scope.via else "")
        doc = self.read(path)
        if not isinstance(doc, LineDict) or not isinstance(doc.get("steps"), LineList) \
                or not doc["steps"]:
            if doc is not None:
                self.add(file, getattr(doc, "line", 1), "steps", "a part is a mapping with "
                         "part, description, inputs, params and a non-empty list of steps", via)
            return None
        self.unknown_keys(doc, _PART_KEYS, file, "", via)
        if doc.get("part", name) != name:
            self.add(file, doc.line_of("part"), "part",
                     f"the part in {name}.yaml must be named {name!r}", via)
        self.merge_inputs(doc.get("inputs"), file)
        params = self.params(doc.get("params"), item.get("with"), file, f"part {name}", item,
                             scope, where)
        inner = _Scope(file, params, scope.arms, via, (*scope.parts, name))
        body = self.block(doc["steps"], inner, "steps")
        return UseNode(name, scope.file, item.line, where, body)

    def branch(self, item: LineDict, scope: _Scope, where: str) -> BranchNode:
        self.unknown_keys(item, _IF_KEYS, scope.file, where, scope.via)
        condition = item.get("if")
        if not isinstance(condition, str) or not condition.strip():
            self.add(scope.file, item.line_of("if"), f"{where}.if",
                     "must be a condition, e.g. \"order.state == 'issued'\"", scope.via)
            condition = "False"
        self.branches += 1
        arm = Arm(self.branches, "then", str(self.substitute(condition, scope, where)),
                  scope.file, item.line)
        then = self.arm_block(item, "then", scope, replace(scope, arms=(*scope.arms, arm)),
                              where, required=True)
        otherwise = None
        if "else" in item:
            other = replace(arm, side="else")
            otherwise = self.arm_block(item, "else", scope,
                                       replace(scope, arms=(*scope.arms, other)), where,
                                       required=True)
        return BranchNode(arm, where, then, otherwise)

    def arm_block(self, item: LineDict, key: str, outer: _Scope, inner: _Scope, where: str,
                  required: bool) -> tuple[Node, ...]:
        steps = item.get(key)
        if not isinstance(steps, LineList) or not steps:
            if required:
                self.add(outer.file, item.line_of(key), f"{where}.{key}",
                         "must be a non-empty list of steps", outer.via)
            return ()
        return self.block(steps, inner, f"{where}.{key}")


def compose(doc: Any, path: str, parts: Path | None) -> Composed:
    """Lower parts, branches and named outcomes in a loaded flow document (see the module)."""
    return _Composer(path, parts).compose(doc)
