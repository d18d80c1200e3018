"""Runs as the people and agents see them: status, list, show, abandon; one rule each.

An agent or a person who lost track of a ticket starts here. Abandoning is the only way to
close a run that will never finish; it refuses while a side effect's fate is unknown, because
abandoning then could hide a refund that happened (or leave one undone) without anybody having
looked. Every door calls these functions and renders their answer in its own terms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runner.app.people import Actor
from runner.app.tickets import load_run
from runner.engine.caller_text import refuse_control_chars
from runner.engine.result import RunResult, result_of
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.store.runs import LedgerEntry, LedgerStatus, Run, RunStatus

if TYPE_CHECKING:
    from runner.app.context import AppContext

CONSOLE_NAMES = {"pm": "Product Management", "symantec": "Symantec backend",
                 "geotrust": "GeoTrust", "mail": "mail", "portal": "customer portal"}
LIST_LIMIT = 500


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def result(ctx: AppContext, run: Run) -> RunResult:
    return result_of(run, ctx.store.events(run.run_id), now=ctx.clock.now())


def get(ctx: AppContext, run_id: str) -> RunResult:
    return result(ctx, load_run(ctx, run_id))


@dataclass
class Filters:
    """What a run list may be narrowed by; a value no run can have is refused, not ignored."""

    status: str | None = None
    ticket: str | None = None
    flow: str | None = None
    limit: int | None = None

    def check(self) -> None:
        known = [s.value for s in RunStatus]
        if self.status is not None and self.status not in known:
            raise InputError(f"status {self.status!r} is not one of {', '.join(known)}",
                             code=ErrorCode.BAD_FILTER, field="status")
        if self.limit is not None and not 1 <= self.limit <= LIST_LIMIT:
            raise InputError(f"limit must be 1 to {LIST_LIMIT}, got {self.limit}",
                             code=ErrorCode.BAD_FILTER, field="limit")
        for name in ("ticket", "flow"):
            value = getattr(self, name)
            if value is not None:
                refuse_control_chars(name, value)


def list_runs(ctx: AppContext, filters: Filters) -> list[RunResult]:
    """Newest first, filtered by any of ticket, flow and status."""
    filters.check()
    runs = ctx.store.list_runs(status=filters.status, ticket=filters.ticket, flow=filters.flow,
                               limit=filters.limit)
    now = ctx.clock.now()
    return [result_of(r, (), now=now) for r in runs]


def row(ctx: AppContext, run: Run) -> dict[str, Any]:
    """One line of a run list: enough to decide what to do with the run."""
    return {"run_id": run.run_id, "ticket": run.ticket, "flow": run.flow,
            "status": str(run.status), "outcome": run.outcome, "current_step": run.current_step,
            "created_at": iso(run.created_at), "updated_at": iso(run.updated_at),
            "queued_at": iso(run.queued_at), "next_check_at": iso(run.next_check_at),
            "deadline": iso(run.deadline)}


@dataclass
class TicketStatus:
    """``status REF``: always one shape, the run REF names or the ticket's newest run, with the
    ticket's other runs (other flows) named."""

    current: RunResult
    others: list[dict[str, Any]] = field(default_factory=list)


def status(ctx: AppContext, ref: str) -> TicketStatus:
    refuse_control_chars("ticket or run id", ref)
    run = ctx.store.get_run(ref)
    runs = [run] if run else ctx.store.find_runs_by_ticket(ref)
    if not runs:
        raise InputError(f"no run or ticket {ref!r} in {ctx.store.where}",
                         code=ErrorCode.UNKNOWN_RUN, ticket=ref)
    current = max(runs, key=lambda r: r.updated_at)
    siblings = [] if run else [r for r in runs if r.run_id != current.run_id]
    return TicketStatus(result(ctx, current), [row(ctx, r) for r in siblings])


def ledger_row(entry: LedgerEntry) -> dict[str, Any]:
    out = asdict(entry)
    out["status"] = str(entry.status)
    out["attempted_at"] = iso(entry.attempted_at)
    out["confirmed_at"] = iso(entry.confirmed_at)
    return out


@dataclass
class RunDetail:
    """A run in full: its result and everything recorded about it."""

    result: RunResult
    run: Run
    events: list[dict[str, Any]]
    ledger: list[dict[str, Any]]
    decisions: list[dict[str, Any]]

    def extra(self) -> dict[str, Any]:
        """The fields ``runs show`` adds to the run's answer."""
        run = self.run
        return {"current_step": run.current_step, "inputs": run.inputs,
                "created_at": iso(run.created_at), "updated_at": iso(run.updated_at),
                "queued_at": iso(run.queued_at), "next_check_at": iso(run.next_check_at),
                "deadline": iso(run.deadline), "events": self.events, "ledger": self.ledger,
                "decisions": self.decisions}


def show(ctx: AppContext, run_id: str) -> RunDetail:
    run = load_run(ctx, run_id)
    history = ctx.store.events(run.run_id)
    events = [{"seq": e.seq, "ts": e.ts.isoformat(), "step": e.step, "kind": e.kind,
               "status": e.status, "duration_ms": e.duration_ms, "data": e.data}
              for e in history]
    ledger = [ledger_row(e) for e in ctx.store.ledger.for_run(run.run_id)]
    decisions = [d.to_dict() for d in ctx.store.decisions.for_run(run.run_id)]
    return RunDetail(result_of(run, history, now=ctx.clock.now()), run, events, ledger,
                     decisions)


def what_to_check(entry: LedgerEntry) -> str:
    """A sentence naming the console and the order a person must look at."""
    console = CONSOLE_NAMES.get(entry.action.partition(".")[0], entry.action.partition(".")[0])
    return (f"{entry.action} on order {entry.order_key} was attempted at "
            f"{entry.attempted_at.isoformat()} and never confirmed: check on the {console} "
            f"console whether it happened")


def abandon(ctx: AppContext, run_id: str, reason: str, actor: Actor,
            force: bool = False) -> RunResult:
    """Close a run that will not finish (queued, waiting, needs_input, failed) for good; the
    store enforces the rules (never a finished run: an error, not a run), this adds what a
    person must check before forcing, and records who decided."""
    if not reason.strip():
        raise InputError("say why the run is abandoned (a reason)",
                         code=ErrorCode.MISSING_REASON)
    run = load_run(ctx, run_id)
    open_effects = [e for e in ctx.store.ledger.for_run(run_id)
                    if e.status is LedgerStatus.ATTEMPTING]
    if open_effects and not force:
        checks = "; ".join(what_to_check(e) for e in open_effects)
        raise InputError(
            f"run {run_id} (ticket {run.ticket}) is not abandoned: {checks}. If it happened, "
            f"resume the run and confirm it (the run asks how); if you are sure it did not "
            f"matter, abandon with force", code=ErrorCode.SIDE_EFFECT_UNCONFIRMED, run=run_id)
    was = run.status
    run = ctx.store.abandon_run(run_id, reason, force=force)
    if was is not RunStatus.ABANDONED:
        ctx.store.decisions.record(actor.name, actor.via, "abandon", run_id,
                                   {"ticket": run.ticket, "reason": reason, "forced": force,
                                    "was": str(was)})
    return result(ctx, run)


def needs_person(ctx: AppContext) -> list[Run]:
    """Runs paused for a person: ``resume --due`` cannot move them, so it lists them."""
    return ctx.store.list_runs(status=RunStatus.NEEDS_INPUT.value)


def with_results(ctx: AppContext, found: list[Run]) -> list[tuple[Run, RunResult]]:
    """Each run with its answer as a list shows it (no step history: one read, not one per
    run)."""
    now = ctx.clock.now()
    return [(run, result_of(run, (), now=now)) for run in found]
