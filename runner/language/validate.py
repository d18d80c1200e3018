"""Check a flow against the action catalog before any browser starts.

Every problem is collected and reported together, each at ``file:line: field:``, so an author
fixes a flow in one edit instead of one run per typo. The rules that protect money live here
too: nothing side-effecting before the refund-window gate, and waits only poll read-only actions.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from runner.actions import ActionSpec, Actor, Catalogue, Effect, load_catalogue
from runner.error_codes import Kind, codes_of, lookup
from runner.errors import ErrorCode, InputError
from runner.language import expressions, unless_done
from runner.language.compose import compose, parts_folder
from runner.language.expressions import ExpressionError
from runner.language.model import (
    ASK_OUTPUTS,
    GATE_OUTPUTS,
    INPUTS,
    ActionStep,
    AskStep,
    BranchNode,
    EndStatus,
    EndStep,
    Flow,
    GateStep,
    Node,
    OnExpired,
    Origin,
    Step,
    StepNode,
    UseNode,
    WaitStep,
)
from runner.language.parse import Parsed, Sources, build, did_you_mean
from runner.language.yaml_lines import FlowError, Issue, loads, read_text


class FlowInvalid(FlowError):
    """A flow parsed but breaks the rules; ``issues`` lists every problem with its line."""

    def __init__(self, path: str, issues: list[Issue]) -> None:
        ordered = sorted(issues, key=lambda i: (i.file != path, i.file, i.line))
        count = f"{len(ordered)} problem" + ("s" if len(ordered) != 1 else "")
        lines = "\n".join(f"  {issue}" for issue in ordered)
        super().__init__(f"{path}: invalid flow, {count}:\n{lines}", ErrorCode.FLOW_INVALID,
                         ordered)


def default_actions() -> Mapping[str, ActionSpec]:
    """The catalogue of the default action modules, for callers that were handed none."""
    return load_catalogue()


class _Checker:
    """Semantic checks over a Parsed flow, appending to its issues."""

    def __init__(self, parsed: Parsed, actions: Mapping[str, ActionSpec]) -> None:
        self.flow = parsed.flow
        self.issues = parsed.issues
        self.ids = parsed.ids
        self.actions = actions
        self.outputs: dict[str, tuple[str, ...] | None] = {}  # step id -> fields (None: any)
        self.gate = self.flow.gate()
        self.complete = parsed.step_count == len(self.flow.steps)
        self.by_id = {step.id: step for step in self.flow.steps}
        self.by_index = {step.index: step for step in self.flow.steps}
        self.current: Step | None = None  # the step whose issues are being found
        self.conditions: dict[int, list[BranchNode]] = {}  # by the index its block starts at
        _collect_branches(self.flow.tree, self.conditions)

    def add(self, line: int, where: str, message: str) -> None:
        origin = self.current.origin if self.current else None
        file, via = origin.locate(where) if origin else (self.flow.path, "")
        self.issues.append(Issue(file, line, where, message, via))

    def run(self) -> None:
        for step in self.flow.steps:
            for branch in self.conditions.get(step.index, []):
                self.branch_condition(branch, step)
            self.current = step
            self.step(step)
            self.outputs[step.id] = self.outputs_of(step)
        self.current = None
        self.check_ending()

    def branch_condition(self, branch: BranchNode, first: Step) -> None:
        """An ``if:`` reads what is known where its block starts, on the path around it."""
        arms = first.arms[:first.arms.index(branch.arm)] if branch.arm in first.arms else ()
        via = first.origin.via if first.origin and first.origin.file == branch.file else ""
        stand_in = EndStep(id="", index=first.index, line=branch.line, outcome="",
                           lines={"if": branch.line}, arms=arms,
                           origin=Origin(branch.file, branch.where, via))
        self.current = stand_in
        self.expression(stand_in, "if", branch.arm.condition)

    def outputs_of(self, step: Step) -> tuple[str, ...] | None:
        if isinstance(step, ActionStep | WaitStep):
            spec = self.actions.get(step.action)
            return (spec.outputs or None) if spec else None
        if isinstance(step, GateStep):
            return GATE_OUTPUTS
        if isinstance(step, AskStep):
            return ASK_OUTPUTS
        return ()

    def step(self, step: Step) -> None:
        if step.own_when is not None:
            self.expression(step, "when", step.own_when)
        unless_done.check(step, self.flow, self.ids, self.actions, self.add)
        match step:
            case ActionStep():
                spec = self.action(step, step.action, "action")
                self.with_(step, spec, step.with_, step.with_lines)
                if step.key is not None:
                    self.template(step, "key", step.key)
                self.on_error(step, spec)
                if spec and spec.effect is Effect.SIDE_EFFECT:
                    self.side_effect(step, spec)
            case WaitStep():
                spec = self.action(step, step.action, "wait")
                self.with_(step, spec, step.with_, step.with_lines)
                if spec and spec.effect is Effect.SIDE_EFFECT:
                    self.add(*step.where("wait"), f"a wait polls its action again and again; "
                             f"{step.action!r} has side effects (use a read-only action)")
                if step.waiting_for is not None:
                    self.template(step, "waiting_for", step.waiting_for)
                if step.message is not None:
                    self.template(step, "message", step.message)
                self.outputs[step.id] = self.outputs_of(step)  # until: may read its own outputs
                self.expression(step, "until", step.until)
                if step.timeout_code is not None:
                    self.timeout_code(step, step.timeout_code)
            case GateStep():
                self.gate_step(step)
            case AskStep():
                self.ask(step)
            case EndStep():
                if step.message is not None:
                    self.template(step, "message", step.message)
                if step.detail is not None:
                    self.template(step, "detail", step.detail)
                if step.status is EndStatus.FAILED:
                    self.failed_end(step)

    def gate_step(self, step: GateStep) -> None:
        """One gate, on every path: never conditional, never inside a branch."""
        if step.own_when is not None:
            self.add(*step.where("when"), "the refund-window gate cannot be conditional")
        if step.arms:
            arm = step.arms[-1]
            self.add(*step.where("gate"), f"the refund-window gate cannot be inside an if: "
                     f"block ({arm.file}:{arm.line}): every path must pass it before anything "
                     "changes")
        if self.gate is not None and self.gate is not step:
            self.add(*step.where("gate"), f"a second refund_window gate; the flow has one, at "
                     f"{_place(self.gate, step)}")
        self.template(step, "purchased_at", step.purchased_at)

    def failed_end(self, step: EndStep) -> None:
        """A flow's own failure is a business stop with a declared code callers branch on."""
        code = lookup(step.outcome)
        if code is None or code.kind is not Kind.BUSINESS:
            business = [str(c) for c in codes_of(Kind.BUSINESS)]
            self.add(*step.where("end"), f"an end with status: failed needs a business error "
                     f"code declared in runner/error_codes.py as its outcome, not "
                     f"{step.outcome!r}{did_you_mean(step.outcome, business)}")

    def action(self, step: Step, name: str, key: str) -> ActionSpec | None:
        spec = self.actions.get(name)
        if spec is None:
            self.add(*step.where(key),
                     f"unknown action {name!r}{did_you_mean(name, self.actions)}")
        elif spec.actor is Actor.CUSTOMER:
            self.add(*step.where(key),
                     f"{name} is the customer's own action (actor: customer), kept for the demo "
                     "and tests; a flow runs as support and may only ask the customer to do it "
                     "(e.g. wait for the result with a read-only support action)")
        return spec

    def with_(self, step: Step, spec: ActionSpec | None, given: Mapping[str, Any],
              lines: Mapping[str, int]) -> None:
        for key, value in given.items():
            where = f"with.{key}"
            line = lines.get(key, step.lines.get("with", step.line))
            if spec is not None and key not in spec.inputs + spec.optional_inputs:
                accepted = ", ".join(spec.inputs + spec.optional_inputs) or "no inputs"
                hint = did_you_mean(key, spec.inputs + spec.optional_inputs)
                self.add(line, step.where(where)[1],
                         f"unknown input {key!r} for {spec.name}{hint} (accepts: {accepted})")
            for text in _strings(value):
                self.template(step, where, text, line=line)
        if spec is not None:
            for name in spec.inputs:
                if name not in given:
                    self.add(step.lines.get("with", step.lines.get(step.kind.value, step.line)),
                             step.where("with")[1], f"missing input {name!r} for {spec.name}")

    def on_error(self, step: ActionStep, spec: ActionSpec | None) -> None:
        raises = sorted(str(code) for code in spec.raises) if spec else []
        for code, target in step.on_error.items():
            where = step.where("on_error")
            if spec is not None and code not in raises:
                known = "" if lookup(code) else "unknown error code; "
                hint = did_you_mean(code, raises) or (
                    "" if lookup(code) else did_you_mean(code, ErrorCode))
                self.add(*where, f"{code}: {known}{spec.name} never raises {code!r}{hint} "
                         f"(it raises: {', '.join(raises) or 'nothing'})")
            if target not in self.ids:
                self.add(*where, f"{code}: unknown step {target!r}{did_you_mean(target, self.ids)}")
            elif self.ids[target][0] > step.index:
                self.add(*where, f"{code}: {target!r} comes later; on_error may only go back, "
                         "so no step (the gate above all) is ever jumped over")
            else:
                self.on_this_path(step, where, target, f"{code}: ")

    def side_effect(self, step: ActionStep, spec: ActionSpec) -> None:
        if step.key is None:
            self.add(*step.where("action"), f"{spec.name} has side effects and needs key: (the "
                     "order it changes, e.g. \"${order.order_id}\"), so the ledger can refuse a "
                     "second attempt from another run or ticket")
        if self.gate is None:
            self.add(*step.where("action"), f"{spec.name} has side effects but the flow has no "
                     "refund_window gate; add one before it")
        elif step.index < self.gate.index:
            self.add(*step.where("action"),
                     f"{spec.name} has side effects and comes before the refund_window gate "
                     f"({_place(self.gate, step)}): nothing may change on a console before "
                     "the refund decision")
        elif spec.moves_money and self.gate.on_expired is not OnExpired.DENY:
            self.add(*step.where("action"),
                     f"{spec.name} pays money out, but the refund_window gate (line "
                     f"{self.gate.line}) has on_expired: {self.gate.on_expired.value}; a flow "
                     "that refunds must deny outside the window")

    def timeout_code(self, step: WaitStep, code: str) -> None:
        business = [str(c) for c in codes_of(Kind.BUSINESS)]
        if code not in business:
            self.add(*step.where("timeout_code"),
                     f"{code!r} is not a declared business error code"
                     f"{did_you_mean(code, business)} (declared: {', '.join(business)})")

    def ask(self, step: AskStep) -> None:
        if step.input not in self.flow.inputs:
            declared = ", ".join(self.flow.inputs) or "none"
            self.add(*step.where("ask"), f"asks for undeclared input {step.input!r}"
                     f"{did_you_mean(step.input, self.flow.inputs)}; declare it under inputs "
                     f"with required: false (declared: {declared})")
        self.template(step, "prompt", step.prompt)
        if step.artifact is not None:
            self.template(step, "artifact", step.artifact)
        if step.renew is not None:
            if step.renew not in self.ids:
                self.add(*step.where("renew"), f"unknown step {step.renew!r}"
                         f"{did_you_mean(step.renew, self.ids)}")
            elif self.ids[step.renew][0] >= step.index:
                self.add(*step.where("renew"), f"{step.renew!r} must come before this step: "
                         "renew goes back to the step that shows a new challenge")
            else:
                self.on_this_path(step, step.where("renew"), step.renew, "")

    def on_this_path(self, step: Step, where: tuple[int, str], target_id: str,
                     prefix: str) -> None:
        """Going back is to a step on this step's own path, not into another branch."""
        target = self.by_id.get(target_id)
        if target is not None and not step.sees(target):
            self.add(*where, f"{prefix}{target_id!r} is in another branch ({_branch(target)})"
                     "; go back only to a step on this path")

    def template(self, step: Step, key: str, text: str, line: int | None = None) -> None:
        line = line or step.lines.get(key.split(".")[0], step.line)
        try:
            found = expressions.expressions_in(text)
        except ExpressionError as exc:
            self.add(line, step.where(key)[1], exc.message)
            return
        for expr in found:
            self.expression(step, key, expr, line=line)

    def expression(self, step: Step, key: str, expr: str, line: int | None = None) -> None:
        line = line or step.lines.get(key.split(".")[0], step.line)
        where = step.where(key)[1]
        try:
            refs = expressions.references(expr)
        except ExpressionError as exc:
            self.add(line, where, exc.message)
            return
        for ref in sorted(refs):
            problem = self.reference(step, key, ref)
            if problem:
                self.add(line, where, problem)

    def reference(self, step: Step, key: str, ref: str) -> str | None:
        """Why ``ref`` cannot be read at this point of the flow, or None if it can."""
        root, _, rest = ref.partition(".")
        field = rest.split(".")[0] if rest else ""
        if root == INPUTS:
            if not field:
                return "use inputs.<name>, not inputs alone"
            if field not in self.flow.inputs:
                return (f"unknown input {field!r} in {ref!r}{did_you_mean(field, self.flow.inputs)}"
                        f" (declared: {', '.join(self.flow.inputs) or 'none'})")
            return None
        if root in self.outputs and (root != step.id or key == "until"):
            seen = self.by_id.get(root)
            if seen is not None and not step.sees(seen):
                return (f"{ref!r}: step {root!r} runs only {_branch(seen)}, so it has no outputs "
                        "on every path to here; read it inside that branch")
            fields = self.outputs[root]
            if fields == ():
                return f"step {root!r} is an end step and has no outputs"
            if field and fields is not None and field not in fields:
                return (f"step {root!r} has no output {field!r}{did_you_mean(field, fields)}"
                        f" (outputs: {', '.join(fields)})")
            return None
        if root == step.id:
            return f"{ref!r}: a step cannot use its own outputs here"
        if root in self.ids:
            index, line = self.ids[root]
            if index >= step.index:  # equal: a branch's condition, read before its first step
                return (f"{ref!r}: step {root!r} comes later (steps[{index}], line {line}); "
                        "only earlier steps' outputs can be used")
            return None  # an earlier step too broken to build; it has its own issue
        names = [INPUTS, *self.ids]
        return f"unknown reference {ref!r}: no step or input named {root!r}" + (
            did_you_mean(root, names))

    def check_ending(self) -> None:
        """Every path ends in an outcome; nothing stands after a block that always ends."""
        tree = self.flow.tree
        ends = self.ends(tree)
        if not self.complete or not tree:
            return  # a broken step has its own issue; guessing about the ending would mislead
        if not ends:
            last = tree[-1]
            self.issues.append(Issue(last.file, last.line, last.where,
                                     "the flow can finish without an outcome: the last step must "
                                     "be an end without when:, or an if: whose then: and else: "
                                     "both end, so every run has an outcome"))

    def ends(self, nodes: tuple[Node, ...]) -> bool:
        """Whether this block ends the run on every path through it (reporting what follows
        such a step as unreachable)."""
        for position, node in enumerate(nodes):
            if self.node_ends(node):
                after = nodes[position + 1] if position + 1 < len(nodes) else None
                if after is not None and not (isinstance(after, StepNode)
                                              and after.index not in self.by_index):
                    self.issues.append(Issue(after.file, after.line, after.where,
                                             f"unreachable: {node.where} (line {node.line}) "
                                             "always ends the run"))
                return True
        return False

    def node_ends(self, node: Node) -> bool:
        match node:
            case StepNode(index=index):
                step = self.by_index.get(index)
                return isinstance(step, EndStep) and step.own_when is None
            case UseNode(body=body):
                return self.ends(body)
            case BranchNode(then=then, otherwise=otherwise):
                then_ends = self.ends(then)
                return self.ends(otherwise) and then_ends if otherwise is not None else False
        return False


def _collect_branches(nodes: tuple[Node, ...], found: dict[int, list[BranchNode]]) -> None:
    for node in nodes:
        if isinstance(node, UseNode):
            _collect_branches(node.body, found)
        elif isinstance(node, BranchNode):
            first = _first_index(node.then)
            if first is not None:
                found.setdefault(first, []).append(node)
            _collect_branches(node.then, found)
            _collect_branches(node.otherwise or (), found)


def _first_index(nodes: tuple[Node, ...]) -> int | None:
    for node in nodes:
        if isinstance(node, StepNode):
            return node.index
        inner = _first_index(node.body if isinstance(node, UseNode) else node.then)
        if inner is not None:
            return inner
    return None


def _place(step: Step, here: Step) -> str:
    """Where ``step`` is written, for a message about ``here``: its file too if another."""
    where = step.where()[1]
    if step.file and step.file != here.file:
        return f"{where}, {step.file}:{step.line}"
    return f"{where}, line {step.line}"


def _branch(step: Step) -> str:
    arm = step.arms[-1]
    side = "when" if arm.side == "then" else "unless"
    return f"{side} {arm.condition} ({arm.file}:{arm.line})"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def validate_document(doc: Any, path: str, actions: Mapping[str, ActionSpec] | None = None,
                      parts: Path | None = None) -> Flow:
    """Lower parts and branches (``parts``: the folder of parts), build and check a loaded
    document; raise FlowInvalid listing every problem."""
    composed = compose(doc, path, parts)
    sources = Sources(composed.origins, composed.arms, composed.input_files) \
        if composed.doc is not doc else None
    parsed = build(composed.doc, path, sources)
    parsed.issues[:0] = composed.issues
    tree = composed.tree or tuple(StepNode(s.index, path, s.line, s.where()[1])
                                  for s in parsed.flow.steps)
    parsed.flow = dataclasses.replace(parsed.flow, tree=tree)
    _Checker(parsed, default_actions() if actions is None else actions).run()
    if parsed.issues:
        raise FlowInvalid(path, parsed.issues)
    return parsed.flow


def validate_text(text: str, path: str = "<string>", actions: Catalogue | None = None,
                  parts: Path | None = None) -> Flow:
    return validate_document(loads(text, path), path, actions, parts)


def load_flow(path: str | Path, actions: Mapping[str, ActionSpec] | None = None) -> Flow:
    """Read, parse and validate a flow file: the only way the executor should get a Flow.
    Checked once per path, text, parts and catalogue: a service loads a flow for every
    request, and parsing costs as much as a step. The texts are read every time (the parts
    by their size and time), so an edit is seen."""
    catalogue = default_actions() if actions is None else actions
    return _checked(str(path), read_text(path), _parts_stamp(parts_folder(path)),
                    tuple(catalogue.values()))


def _parts_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                 for p in sorted(folder.glob("*.yaml")))


@functools.lru_cache(maxsize=32)
def _checked(path: str, text: str, stamp: tuple[tuple[str, int, int], ...],
             actions: tuple[ActionSpec, ...]) -> Flow:
    return validate_document(loads(text, path), path, {spec.name: spec for spec in actions},
                             parts_folder(path))


def check_inputs(flow: Flow, supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse a run whose inputs miss a required one or name one the flow does not declare.

    A misspelt ``--input`` would otherwise be ignored silently and the run would stall later.
    """
    for name in supplied:
        if name not in flow.inputs:
            raise InputError(
                f"flow {flow.name} has no input {name!r}{did_you_mean(name, flow.inputs)} "
                f"(inputs: {', '.join(flow.inputs) or 'none'})",
                code=ErrorCode.UNKNOWN_INPUT, input=name)
    for name in flow.required_inputs():
        value = supplied.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            description = flow.inputs[name].description
            raise InputError(f"flow {flow.name} needs input {name!r}"
                             + (f" ({description})" if description else ""),
                             code=ErrorCode.MISSING_INPUT, input=name)
    return dict(supplied)
