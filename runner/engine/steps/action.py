"""An action step: call a page-object action; side effects go through the ledger.

A side effect that moves money asks the refund-window gate again right before the click. An
error the step's ``on_error`` names sends the run back to an earlier step (a wrong captcha: read
a new one), forgetting the answer the console rejected.
"""

from __future__ import annotations

from typing import Any

from runner.actions import ActionSpec, Effect
from runner.engine import texts
from runner.engine.side_effects import (
    CONFIRM_DONE,
    CONFIRM_RETRY,
    LedgerGuard,
    NeedsConfirmation,
    plain,
)
from runner.engine.steps import gate
from runner.engine.steps.context import Jump, Pause, StepContext
from runner.engine.store import RunStatus
from runner.errors import RunnerError
from runner.language.expressions import render_value
from runner.language.model import ActionStep


def run(sc: StepContext, step: ActionStep) -> dict[str, Any]:
    spec = sc.actions[step.action]
    ctx = sc.expressions()
    args = render_value(dict(step.with_), ctx)
    try:
        if spec.effect is Effect.READ:
            return plain(sc.call(spec, args))
        return _side_effect(sc, step, spec, args, ctx)
    except RunnerError as exc:
        target = step.on_error.get(exc.code)
        if target:
            _forget_answers(sc, step)
            raise Jump(target, exc) from exc
        raise


def _side_effect(sc: StepContext, step: ActionStep, spec: ActionSpec, args: dict[str, Any],
                 ctx: dict[str, Any]) -> dict[str, Any]:
    if spec.moves_money:
        gate.recheck(sc)
    # The validator requires a key on every side effect; the fallback keeps odd flows safe.
    order_key = str(render_value(step.key, ctx)) if step.key else repr(sorted(args.items()))
    guard = LedgerGuard(sc.store, sc.actions, sc.call)
    confirm = f"{texts.CONFIRM_PREFIX}{step.id}"
    try:
        return guard.run(spec, args, ticket=sc.run.ticket, run_id=sc.run.run_id,
                         order_key=order_key, confirmation=sc.run.inputs.get(confirm))
    except NeedsConfirmation as unsure:
        raise Pause(RunStatus.NEEDS_INPUT, texts.confirm_side_effect(
            sc.run.run_id, step.id, unsure.action, unsure.order_key, unsure.attempted_at,
            unsure.probe, CONFIRM_RETRY, CONFIRM_DONE),
            texts.customer_in_progress(sc.domain)) from None
    finally:
        sc.run.inputs.pop(confirm, None)


def _forget_answers(sc: StepContext, step: ActionStep) -> None:
    """An answer the console rejected (a wrong captcha) must be asked for again."""
    for value in step.with_.values():
        for name in list(sc.secrets) + list(sc.run.inputs):
            if isinstance(value, str) and f"inputs.{name}" in value:
                sc.secrets.pop(name, None)
                sc.run.inputs.pop(name, None)
