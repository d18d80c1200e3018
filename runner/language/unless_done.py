"""Validation of ``unless_done:``: a step that only feeds a side effect is skipped once it is done.

A captcha read and the question about it exist only to send one access request; when another
ticket's run already sent it for the same order, asking a person to read an image is work for
nothing. ``unless_done: access`` on such a step names the side-effect step it feeds; the
executor skips the step when the ledger shows that step's action confirmed for the key it would
use (``runner.engine.steps.done``). The rules here make that decision possible before the step
runs: the named step is a later side-effect action with a ``key:``, and its key reads only what
is known at this step (the inputs and earlier steps' outputs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from runner.actions import ActionSpec, Effect
from runner.language import expressions
from runner.language.expressions import ExpressionError
from runner.language.model import INPUTS, ActionStep, AskStep, Flow, Step
from runner.language.parse import did_you_mean

Add = Callable[[int, str, str], None]  # line, field path, message

FEEDERS = (ActionStep, AskStep)  # the step kinds that may be skipped this way


def check(step: Step, flow: Flow, ids: Mapping[str, tuple[int, int]],
          actions: Mapping[str, ActionSpec], add: Add) -> None:
    """Append an issue for every reason ``step.unless_done`` cannot be decided or is wrong."""
    target_id = step.unless_done
    if target_id is None:
        return
    line, where = step.where("unless_done")
    if not isinstance(step, FEEDERS):
        add(line, where, f"only action and ask steps may be skipped by unless_done, not a "
            f"{step.kind.value} step")
        return
    if target_id not in ids:
        add(line, where, f"unknown step {target_id!r}{did_you_mean(target_id, ids)}")
        return
    index, target_line = ids[target_id]
    if index <= step.index:
        add(line, where, f"{target_id!r} (steps[{index}], line {target_line}) must come after "
            "this step: unless_done names the side effect this step feeds")
        return
    target = next((s for s in flow.steps if s.id == target_id), None)
    if target is None:
        return  # too broken to build; it has its own issue
    spec = actions.get(target.action) if isinstance(target, ActionStep) else None
    if spec is None or spec.effect is not Effect.SIDE_EFFECT:
        add(line, where, f"{target_id!r} (line {target_line}) is not a side-effecting action "
            "step; unless_done names one, whose ledger row says whether it is done")
        return
    assert isinstance(target, ActionStep)
    if target.key is None:
        return  # the target's missing key: has its own issue
    for problem in _key_problems(step, target, ids):
        add(line, where, problem)


def _key_problems(step: Step, target: ActionStep, ids: Mapping[str, tuple[int, int]]) -> list[str]:
    """The target's key must be renderable here: inputs and steps before this one only."""
    try:
        refs = {ref for expr in expressions.expressions_in(target.key or "")
                for ref in expressions.references(expr)}
    except ExpressionError:
        return []  # the key's own issue says why
    problems = []
    for ref in sorted(refs):
        root = ref.split(".")[0]
        if root != INPUTS and root in ids and ids[root][0] >= step.index:
            problems.append(f"the key of {target.id!r} ({target.key}) reads {ref!r}, which is "
                            f"not known yet at this step ({root!r} is steps[{ids[root][0]}])")
    return problems
