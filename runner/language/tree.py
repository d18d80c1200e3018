"""A flow shown as it is written: its parts, branches and steps as an indented tree.

``flows validate`` and ``run --dry-run`` print it, so a person reads the procedure top to bottom
(which part brings which steps, which branch holds which) rather than the flat list the executor
runs, where a branch is only a condition repeated on every step.
"""

from __future__ import annotations

from collections.abc import Mapping

from runner.actions import ActionSpec, Effect
from runner.language.model import (
    ActionStep,
    AskStep,
    BranchNode,
    EndStatus,
    EndStep,
    Flow,
    GateStep,
    Node,
    OnExpired,
    Step,
    UseNode,
    WaitStep,
)

INDENT = "  "


def tree_lines(flow: Flow, actions: Mapping[str, ActionSpec] | None = None) -> list[str]:
    """One line per step, part and branch, indented by depth; side effects are marked when the
    catalogue is given."""
    steps = {step.index: step for step in flow.steps}
    lines: list[str] = []
    _block(flow.tree, 1, steps, actions or {}, lines)
    return lines


def _block(nodes: tuple[Node, ...], depth: int, steps: Mapping[int, Step],
           actions: Mapping[str, ActionSpec], lines: list[str]) -> None:
    pad = INDENT * depth
    for node in nodes:
        if isinstance(node, UseNode):
            lines.append(f"{pad}use {node.part}")
            _block(node.body, depth + 1, steps, actions, lines)
        elif isinstance(node, BranchNode):
            lines.append(f"{pad}if {node.arm.condition}")
            _block(node.then, depth + 1, steps, actions, lines)
            if node.otherwise is not None:
                lines.append(f"{pad}else")
                _block(node.otherwise, depth + 1, steps, actions, lines)
        elif node.index in steps:
            step = steps[node.index]
            when = f"  when {step.own_when}" if step.own_when else ""
            unless = f"  unless done: {step.unless_done}" if step.unless_done else ""
            lines.append(f"{pad}{step.id} ".ljust(32) + f"{_what(step, actions)}{when}{unless}")


def _what(step: Step, actions: Mapping[str, ActionSpec]) -> str:
    match step:
        case ActionStep():
            spec = actions.get(step.action)
            effect = " (side effect)" if spec and spec.effect is Effect.SIDE_EFFECT else ""
            return f"action {step.action}{effect}"
        case GateStep():
            expired = " (outside: continue)" if step.on_expired is OnExpired.CONTINUE else ""
            return f"gate {step.gate}{expired}"
        case AskStep():
            return f"ask {step.input}"
        case WaitStep():
            return f"wait {step.action} until {step.until}"
        case EndStep():
            status = f" ({step.status.value})" if step.status is not EndStatus.SUCCEEDED else ""
            return f"end {step.outcome}{status}"
    return step.kind.value
