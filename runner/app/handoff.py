"""Handing a ticket to the worker fleet: the run is created in the store first, then a task sent.

The store, not the broker, is where a run lives: a run is created (or found: one per ticket and
flow) as ``queued`` and claimed for the queue before its task is sent, so a lost message costs a
delay (the claim expires and the sweep enqueues the run again), never the run. A broker that is
down when the ticket comes in loses nothing either: the run is queued in the store, its claim is
let go at once, and the next sweep (``certrunner beat``) sends it when the broker is back.
Inputs a person types for an ``ask`` step (the captcha answer) never go through the broker:
they are given with ``resume`` at any door on any machine that reaches the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.app.queue import SWEEP_EVERY, claim_ttl, send_advance
from runner.app.tickets import Prepared
from runner.engine import texts
from runner.engine.result import RunResult, result_of
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.logs import get_logger
from runner.store.claims import QueueClaim, claim_run
from runner.store.runs import RunStore

if TYPE_CHECKING:
    from runner.app.context import AppContext


@dataclass
class Enqueued:
    result: RunResult  # the run as it stands (new: queued, no steps yet)
    queued: bool  # False: the ticket already had this run and something holds it

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "queued": self.queued}


def enqueue(ctx: AppContext, prepared: Prepared) -> Enqueued:
    """Create (or find) the ticket's run as queued and send it to the workers."""
    if prepared.secrets:
        raise InputError(f"{', '.join(sorted(prepared.secrets))} is typed by a person when the "
                         "run asks for it; give it with `resume`, never through the queue",
                         code=ErrorCode.INPUT_NOT_QUEUED, ticket=prepared.ticket)
    created = ctx.store.create_run(prepared.ticket, prepared.flow.name, prepared.inputs,
                                   {"steps": {}, "flow_path": prepared.stored_path},
                                   queued=True)
    run = created.run
    claim = claim_run(ctx.store, run.run_id, claim_ttl()) if created.created else None
    sent = claim is not None and send_claimed(ctx.store, [claim]) == 1
    result = result_of(run, ctx.store.events(run.run_id), now=ctx.clock.now())
    result.existing = not created.created
    if claim is not None and not sent:
        result.next_action = texts.broker_down(run.run_id, SWEEP_EVERY)
    return Enqueued(result, claim is not None)


def send_claimed(store: RunStore, claims: list[QueueClaim]) -> int:
    """Send a task for each claimed run; a claim whose task the broker would not take is let
    go at once, so the next sweep sends it when the broker is back. Answers how many went."""
    sent = 0
    for claim in claims:
        if send_advance(claim.run_id, claim.owner, claim.token):
            sent += 1
            continue
        store.release_lease(claim.run_id, claim.owner)
        get_logger().error("broker_unreachable", run_id=claim.run_id)
    return sent
