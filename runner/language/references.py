"""Whether every ``${...}`` and step id a step names can be read where the step stands.

A reference to a later step, to a step that ran only in another branch, or to an output its
step does not have would otherwise surface in the middle of a run, after a console may already
have changed; found here, it is reported at its line before any browser starts.
"""

from __future__ import annotations

from runner.language import expressions
from runner.language.expressions import ExpressionError
from runner.language.model import (
    ASK_OUTPUTS,
    GATE_OUTPUTS,
    INPUTS,
    ActionStep,
    AskStep,
    GateStep,
    Step,
    WaitStep,
)
from runner.language.parse import did_you_mean
from runner.language.walk import Walk


def outputs_of(walk: Walk, step: Step) -> tuple[str, ...] | None:
    """What later steps may read of ``step``: its fields, None for any, () for none (an end)."""
    if isinstance(step, ActionStep | WaitStep):
        spec = walk.actions.get(step.action)
        return (spec.outputs or None) if spec else None
    if isinstance(step, GateStep):
        return GATE_OUTPUTS
    if isinstance(step, AskStep):
        return ASK_OUTPUTS
    return ()


def on_this_path(walk: Walk, step: Step, where: tuple[int, str], target_id: str,
                 prefix: str) -> None:
    """Going back is to a step on this step's own path, not into another branch."""
    target = walk.by_id.get(target_id)
    if target is not None and not step.sees(target):
        walk.add(*where, f"{prefix}{target_id!r} is in another branch ({branch_of(target)})"
                 "; go back only to a step on this path")


def template(walk: Walk, step: Step, key: str, text: str, line: int | None = None) -> None:
    line = line or step.lines.get(key.split(".")[0], step.line)
    try:
        found = expressions.expressions_in(text)
    except ExpressionError as exc:
        walk.add(line, step.where(key)[1], exc.message)
        return
    for expr in found:
        expression(walk, step, key, expr, line=line)


def expression(walk: Walk, step: Step, key: str, expr: str, line: int | None = None) -> None:
    line = line or step.lines.get(key.split(".")[0], step.line)
    where = step.where(key)[1]
    try:
        refs = expressions.references(expr)
    except ExpressionError as exc:
        walk.add(line, where, exc.message)
        return
    for ref in sorted(refs):
        problem = reference(walk, step, key, ref)
        if problem:
            walk.add(line, where, problem)


def reference(walk: Walk, step: Step, key: str, ref: str) -> str | None:
    """Why ``ref`` cannot be read at this point of the flow, or None if it can."""
    root, _, rest = ref.partition(".")
    field = rest.split(".")[0] if rest else ""
    if root == INPUTS:
        if not field:
            return "use inputs.<name>, not inputs alone"
        if field not in walk.flow.inputs:
            return (f"unknown input {field!r} in {ref!r}{did_you_mean(field, walk.flow.inputs)}"
                    f" (declared: {', '.join(walk.flow.inputs) or 'none'})")
        return None
    if root in walk.outputs and (root != step.id or key == "until"):
        seen = walk.by_id.get(root)
        if seen is not None and not step.sees(seen):
            return (f"{ref!r}: step {root!r} runs only {branch_of(seen)}, so it has no outputs "
                    "on every path to here; read it inside that branch")
        fields = walk.outputs[root]
        if fields == ():
            return f"step {root!r} is an end step and has no outputs"
        if field and fields is not None and field not in fields:
            return (f"step {root!r} has no output {field!r}{did_you_mean(field, fields)}"
                    f" (outputs: {', '.join(fields)})")
        return None
    if root == step.id:
        return f"{ref!r}: a step cannot use its own outputs here"
    if root in walk.ids:
        index, line = walk.ids[root]
        if index >= step.index:  # equal: a branch's condition, read before its first step
            return (f"{ref!r}: step {root!r} comes later (steps[{index}], line {line}); "
                    "only earlier steps' outputs can be used")
        return None  # an earlier step too broken to build; it has its own issue
    names = [INPUTS, *walk.ids]
    return f"unknown reference {ref!r}: no step or input named {root!r}" + (
        did_you_mean(root, names))


def branch_of(step: Step) -> str:
    """The innermost ``if:`` side ``step`` runs on, for a message that sends the author there."""
    arm = step.arms[-1]
    side = "when" if arm.side == "then" else "unless"
    return f"{side} {arm.condition} ({arm.file}:{arm.line})"
