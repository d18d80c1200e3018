"""Putting a ticket on the queue: the run is created in the store first, then a task is sent.

The store, not the broker, is where a run lives: a run is created (or found: one per ticket
and flow) and claimed for the queue before its task is sent, so a lost message costs a delay
(the claim expires and the sweep enqueues the run again), never the run. Inputs a person types
for an ``ask`` step (the captcha answer) never go through the broker: they are given with
``certrunner resume`` on any machine that reaches the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.cli.commands import FLOWS_DIR, flow_path, validate_flow
from runner.engine.result import RunResult, result_of
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.language.model import AskStep
from runner.language.validate import check_inputs
from runner.store.claims import claim_run
from runner.workers.celery_app import claim_ttl

if TYPE_CHECKING:
    from runner.cli.app import App


@dataclass
class Enqueued:
    result: RunResult  # the run as it stands (new: running, no steps yet)
    queued: bool  # False: the ticket already had this run and something holds it

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "queued": self.queued}


def enqueue_run(app: App, flow_name: str, ticket: str, inputs: dict[str, Any]) -> Enqueued:
    from runner.workers.tasks import advance

    flow = validate_flow(flow_name)
    check_inputs(flow, inputs)
    if not ticket.strip():
        raise InputError("a ticket id is required", code=ErrorCode.MISSING_TICKET)
    asked = sorted(k for k in inputs if k in {s.input for s in flow.steps
                                              if isinstance(s, AskStep)})
    if asked:
        raise InputError(f"{', '.join(asked)} is typed by a person when the run asks for it; "
                         "give it with `certrunner resume`, never through the queue",
                         code=ErrorCode.INPUT_NOT_QUEUED, ticket=ticket)
    path = flow_path(flow_name)
    # A shipped flow is found by name on every machine; another file by its path (which every
    # worker must then see at the same place).
    shipped = path.resolve().parent == FLOWS_DIR.resolve()
    created = app.store.create_run(ticket, flow.name, inputs,
                                   {"steps": {}, "flow_path": None if shipped else str(path)})
    run = created.run
    claim = claim_run(app.store, run.run_id, claim_ttl()) if created.created else None
    if claim is not None:
        advance.apply_async((run.run_id, claim.owner), task_id=claim.token)
    result = result_of(run, app.store.events(run.run_id))
    result.existing = not created.created
    return Enqueued(result, claim is not None)
