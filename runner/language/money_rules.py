"""The rules that keep a flow from changing an order, or paying out, when it must not.

A cancel or a refund cannot be taken back, so a flow that could do one in the wrong place is
refused before it runs rather than trusted to take the right path: one refund-window gate that
every path passes, nothing side-effecting before it, a key on every side effect so the ledger
can refuse a second attempt, a refund only from a flow that denies outside the window, and
waits that only poll read-only actions.
"""

from __future__ import annotations

from runner.actions import ActionSpec, Effect
from runner.language.model import ActionStep, GateStep, OnExpired, Step, WaitStep
from runner.language.walk import Walk


def gate_step(walk: Walk, step: GateStep) -> None:
    """One gate, on every path: never conditional, never inside a branch."""
    if step.own_when is not None:
        walk.add(*step.where("when"), "the refund-window gate cannot be conditional")
    if step.arms:
        arm = step.arms[-1]
        walk.add(*step.where("gate"), f"the refund-window gate cannot be inside an if: "
                 f"block ({arm.file}:{arm.line}): every path must pass it before anything "
                 "changes")
    if walk.gate is not None and walk.gate is not step:
        walk.add(*step.where("gate"), f"a second refund_window gate; the flow has one, at "
                 f"{_place(walk.gate, step)}")


def side_effect(walk: Walk, step: ActionStep, spec: ActionSpec | None) -> None:
    """An action that changes something has a key, and comes after a gate that allows it."""
    if not spec or spec.effect is not Effect.SIDE_EFFECT:
        return
    if step.key is None:
        walk.add(*step.where("action"), f"{spec.name} has side effects and needs key: (the "
                 "order it changes, e.g. \"${order.order_id}\"), so the ledger can refuse a "
                 "second attempt from another run or ticket")
    if walk.gate is None:
        walk.add(*step.where("action"), f"{spec.name} has side effects but the flow has no "
                 "refund_window gate; add one before it")
    elif step.index < walk.gate.index:
        walk.add(*step.where("action"),
                 f"{spec.name} has side effects and comes before the refund_window gate "
                 f"({_place(walk.gate, step)}): nothing may change on a console before "
                 "the refund decision")
    elif spec.moves_money and walk.gate.on_expired is not OnExpired.DENY:
        walk.add(*step.where("action"),
                 f"{spec.name} pays money out, but the refund_window gate (line "
                 f"{walk.gate.line}) has on_expired: {walk.gate.on_expired.value}; a flow "
                 "that refunds must deny outside the window")


def polled_action(walk: Walk, step: WaitStep, spec: ActionSpec | None) -> None:
    """A wait calls its action until the condition holds, so that action may only read."""
    if spec and spec.effect is Effect.SIDE_EFFECT:
        walk.add(*step.where("wait"), f"a wait polls its action again and again; "
                 f"{step.action!r} has side effects (use a read-only action)")


def _place(step: Step, here: Step) -> str:
    """Where ``step`` is written, for a message about ``here``: its file too if another."""
    where = step.where()[1]
    if step.file and step.file != here.file:
        return f"{where}, {step.file}:{step.line}"
    return f"{where}, line {step.line}"
