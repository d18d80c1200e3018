"""An action step: call a page-object action; side effects go through the ledger.

A side effect that moves money asks the refund-window gate again right before the click, once
the ledger and the console showed it has not happened already. Another ticket's run doing the
same side effect on the same order right now makes this run wait a minute. An
error the step's ``on_error`` names sends the run back to an earlier step (a wrong captcha: read
a new one), forgetting the answer the console rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from runner.actions import ActionSpec, Effect
from runner.engine import texts
from runner.engine.side_effects import (
    CONFIRM_DONE,
    CONFIRM_RETRY,
    BusyElsewhere,
    LazyArgs,
    LedgerGuard,
    NeedsConfirmation,
    Unsettled,
)
from runner.engine.steps import ask, gate
from runner.engine.steps.context import Jump, Pause, StepContext
from runner.errors import ErrorCode, InputError, RunnerError
from runner.jsonable import as_dict
from runner.language.expressions import render_value
from runner.language.model import ActionStep, AskStep
from runner.store.runs import RunStatus


def run(sc: StepContext, step: ActionStep) -> dict[str, Any]:
    spec = sc.actions[step.action]
    ctx = sc.expressions()
    args = LazyArgs(step.with_, lambda value: render_value(value, ctx))
    try:
        if spec.effect is Effect.READ:
            return as_dict(sc.call(spec, dict(args)))
        return _side_effect(sc, step, spec, args, ctx)
    except RunnerError as exc:
        target = step.on_error.get(exc.code)
        if target:
            for name in _forget_answers(sc, step):
                if exc.code in _VERDICTS:
                    ask.note_verdict(sc.run, name, _VERDICTS[exc.code])
            raise Jump(target, exc) from exc
        lost = _lost_answer(sc, step) if exc.code is ErrorCode.EXPRESSION_UNRESOLVED else None
        if lost is not None:
            # A single-use answer (the captcha) did not survive an interruption; nothing was
            # clicked without it (the ledger claim is abandoned): ask again, from a new image.
            raise Jump(lost.renew or lost.id, InputError(
                f"the answer for {lost.input} was lost when the run was interrupted; asking "
                "again", code=ErrorCode.ANSWER_MISSING, step=step.id)) from exc
        raise


# What a console's refusal of an answer means for the next question.
_VERDICTS = {ErrorCode.CAPTCHA_INCORRECT: ask.REJECTED, ErrorCode.CAPTCHA_EXPIRED: ask.EXPIRED}


def _lost_answer(sc: StepContext, step: ActionStep) -> AskStep | None:
    """The ask step whose answer this step needs and no longer has, if any."""
    for asked in sc.flow.steps:
        if not isinstance(asked, AskStep) or asked.index >= step.index:
            continue
        needed = any(isinstance(v, str) and f"inputs.{asked.input}" in v
                     for v in step.with_.values())
        if needed and sc.secrets.get(asked.input, sc.run.inputs.get(asked.input)) in (None, ""):
            return asked
    return None


def _side_effect(sc: StepContext, step: ActionStep, spec: ActionSpec, args: Mapping[str, Any],
                 ctx: dict[str, Any]) -> dict[str, Any]:
    # The validator requires a key on every side effect; the fallback keeps odd flows safe.
    order_key = str(render_value(step.key, ctx)) if step.key else repr(sorted(args.items()))
    guard = LedgerGuard(sc.store, sc.actions, sc.call, settle_after=timedelta(
        milliseconds=sc.config.browser.navigation_timeout_ms), now=sc.clock.now)
    confirm = f"{texts.CONFIRM_PREFIX}{step.id}"
    try:
        return guard.run(spec, args, ticket=sc.run.ticket, run_id=sc.run.run_id,
                         order_key=order_key, confirmation=sc.run.inputs.get(confirm),
                         before_click=(lambda: gate.recheck(sc)) if spec.moves_money else None)
    except BusyElsewhere as busy:
        raise wait_for_other_run(sc, busy) from None
    except Unsettled as recent:
        raise Pause(RunStatus.WAITING, texts.wait_to_settle(
            sc.run.run_id, recent.run_id, recent.ticket, recent.action, recent.order_key,
            recent.settles_at), texts.customer_in_progress(sc.domain),
            next_check_at=recent.settles_at) from None
    except NeedsConfirmation as unsure:
        by = "" if unsure.run_id == sc.run.run_id else (
            f"by run {unsure.run_id} of ticket {unsure.ticket}")
        raise Pause(RunStatus.NEEDS_INPUT, texts.confirm_side_effect(
            sc.run.run_id, step.id, unsure.action, unsure.order_key, unsure.attempted_at,
            unsure.probe, CONFIRM_RETRY, CONFIRM_DONE, by),
            texts.customer_in_progress(sc.domain)) from None
    finally:
        sc.run.inputs.pop(confirm, None)


OTHER_RUN_RECHECK = timedelta(minutes=1)  # another run is mid-click on the same order


def wait_for_other_run(sc: StepContext, busy: BusyElsewhere) -> Pause:
    """Another ticket's live run is doing this side effect on this order: look again soon."""
    next_check = sc.clock.now() + OTHER_RUN_RECHECK
    return Pause(RunStatus.WAITING, texts.wait_for_other_run(
        sc.run.run_id, busy.run_id, busy.ticket, busy.action, busy.order_key, next_check),
        texts.customer_in_progress(sc.domain), next_check_at=next_check)


def _forget_answers(sc: StepContext, step: ActionStep) -> set[str]:
    """An answer the console rejected (a wrong captcha) must be asked for again; answers the
    names of the inputs forgotten. Only asked inputs are answers: the ticket's own (the
    domain) stay."""
    asked = {s.input for s in sc.flow.steps if isinstance(s, AskStep)}
    forgotten = set()
    for value in step.with_.values():
        for name in asked & (set(sc.secrets) | set(sc.run.inputs)):
            if isinstance(value, str) and f"inputs.{name}" in value:
                sc.secrets.pop(name, None)
                sc.run.inputs.pop(name, None)
                forgotten.add(name)
    return forgotten
