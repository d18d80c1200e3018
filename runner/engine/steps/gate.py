"""The refund-window gate: deny outside the window before anything changes on a console.

The window can close while a run waits for the customer, so the gate is asked again right
before money moves (``recheck``), and a wait never outlives it (``cap``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from runner.engine import texts
from runner.engine.steps.context import End, StepContext
from runner.engine.window import WindowDecision, cap_deadline, decide, long_date
from runner.errors import BusinessError, ErrorCode
from runner.language.expressions import render_value
from runner.language.model import GateStep, OnExpired
from runner.store.runs import RunStatus

OUTCOME_EXPIRED = "refund_window_expired"


def run(sc: StepContext, step: GateStep) -> dict[str, Any]:
    decision = decide(render_value(step.purchased_at, sc.expressions()), sc.clock.now(),
                      sc.config.refund_window)
    outputs = {"eligible": decision.eligible,
               "purchased_at": decision.purchased_at.isoformat(),
               "window_ends_at": decision.window_ends_at.isoformat(),
               "window_ends_on": long_date(decision.window_ends_at),
               "days_left": decision.days_left, "message": decision.message,
               "enforced": step.on_expired is OnExpired.DENY}
    if not decision.eligible and step.on_expired is OnExpired.DENY:
        sc.run.context["steps"][step.id] = outputs
        raise _deny(sc, decision)
    return outputs


def _deny(sc: StepContext, decision: WindowDecision) -> End:
    return End(RunStatus.DENIED, OUTCOME_EXPIRED, decision.message,
               texts.offer_cancel_only(sc.run.ticket, sc.domain))


def recheck(sc: StepContext) -> None:
    """Right before paying: every enforced gate before this step must still say yes."""
    gates = sc.refund_gates()
    if not gates or any(outputs is None for _, outputs in gates):
        # The validator refuses such flows; this guard is for money all the same.
        raise BusinessError("refusing to refund: this run never passed an enforced refund "
                            "window gate", code=ErrorCode.REFUND_WITHOUT_GATE)
    for _, outputs in gates:
        assert outputs is not None
        decision = decide(outputs["purchased_at"], sc.clock.now(), sc.config.refund_window)
        if not decision.eligible:
            raise _deny(sc, decision)


def cap(sc: StepContext, deadline: datetime) -> datetime:
    """A wait never outlives an enforced refund window: past it, no refund is possible."""
    for _, outputs in sc.refund_gates():
        if outputs is not None:
            deadline = cap_deadline(deadline, outputs["window_ends_at"])
    return deadline
