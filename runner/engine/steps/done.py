"""``unless_done:``: skip a step that only feeds a side effect the ledger shows done already.

Side effects are once per order, so a second ticket for an order whose access request another
ticket already sent must not read a captcha and ask a person for its number only to find the
request done. Before such a step runs, the ledger row of the side effect it names is read, for
the key that step would use: confirmed, the step is skipped; another live run attempting it
right now, this run waits and looks again (never asking for an answer that may be wasted);
otherwise the step runs. The rules that make the key renderable here are checked when the flow
is validated (``runner.language.unless_done``).
"""

from __future__ import annotations

from runner.engine.side_effects import BusyElsewhere
from runner.engine.steps.action import wait_for_other_run
from runner.engine.steps.context import StepContext
from runner.language.expressions import render_value
from runner.language.model import ActionStep
from runner.store.ledger import LedgerStatus


def already_done(sc: StepContext) -> str | None:
    """Why ``sc.step`` is skipped (the side effect it feeds is done), or None to run it.

    Raises ``Pause`` (waiting) while another live run is attempting that side effect.
    """
    if sc.step.unless_done is None:
        return None
    target = sc.flow.step(sc.step.unless_done)
    assert isinstance(target, ActionStep) and target.key is not None  # the validator's rules
    action = sc.actions[target.action].name
    order_key = str(render_value(target.key, sc.expressions()))
    entry = sc.store.ledger.get(action, order_key)
    if (entry is not None and entry.status is LedgerStatus.ATTEMPTING
            and entry.run_id != sc.run.run_id):
        if sc.store.lease_alive(entry.run_id):
            raise wait_for_other_run(sc, BusyElsewhere(action, order_key, entry.run_id,
                                                       entry.ticket))
        # Its run is not working now; it may have finished (confirmed, then let its lease
        # go) since the row was read: read it again.
        entry = sc.store.ledger.get(action, order_key)
    if entry is None or entry.status is not LedgerStatus.CONFIRMED:
        return None
    by = "this run" if entry.run_id == sc.run.run_id else (
        f"run {entry.run_id} of ticket {entry.ticket}")
    return f"{action} on {order_key} already done by {by}"
