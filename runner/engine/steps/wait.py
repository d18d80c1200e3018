"""A wait step: poll a read-only action until its condition holds, pausing in between.

The run is not kept alive while it waits: it pauses as ``waiting`` with its next check time and
a deadline (never after an enforced refund window), and ``resume --due`` polls it again.
"""

from __future__ import annotations

from typing import Any

from runner.engine import texts
from runner.engine.steps import gate
from runner.engine.steps.context import Pause, StepContext
from runner.error_codes import ErrorCode, lookup
from runner.errors import BusinessError
from runner.jsonable import as_dict as plain
from runner.language.expressions import render_value, truthy
from runner.language.model import WaitStep
from runner.store.runs import RunStatus


def run(sc: StepContext, step: WaitStep) -> dict[str, Any]:
    now = sc.clock.now()
    deadline = sc.run.deadline or gate.cap(sc, now + step.deadline)
    ctx = sc.expressions()
    spec = sc.actions[step.action]
    outputs = plain(sc.call(spec, render_value(dict(step.with_), ctx)))
    sc.run.context["steps"][step.id] = outputs
    if truthy(step.until, sc.expressions()):
        sc.run.deadline = sc.run.next_check_at = None
        return outputs
    waiting_for = _waiting_for(step, ctx)
    if now >= deadline:
        code = lookup(step.timeout_code or "") or ErrorCode.WAIT_DEADLINE_PASSED
        raise BusinessError(f"still not done at the deadline {deadline.isoformat()}: waited for "
                            f"{waiting_for}", code=code, step=step.id,
                            deadline=deadline.isoformat())
    next_check = min(now + step.every, deadline)
    message = render_value(step.message, ctx) if step.message else None
    raise Pause(RunStatus.WAITING, texts.wait(sc.run.run_id, waiting_for, next_check, deadline),
                " ".join(str(message).split()) if message
                else texts.customer_waiting(sc.domain, deadline),
                next_check_at=next_check, deadline=deadline)


def _waiting_for(step: WaitStep, ctx: dict[str, Any]) -> str:
    rendered = render_value(step.waiting_for, ctx) if step.waiting_for else step.until
    return " ".join(str(rendered).split())
