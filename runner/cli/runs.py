"""Run management: list the runs, show one in full, abandon one a person gave up on.

An agent or a person who lost track of a ticket starts here: ``runs list --status needs_input``
is the queue of runs waiting for a person. Abandoning is the only way to close a run that will
never finish; it refuses while a side effect's fate is unknown, because abandoning then could
hide a refund that happened (or leave one undone) without anybody having looked.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runner.engine.caller_text import refuse_control_chars
from runner.engine.result import RunResult, result_of
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.store.runs import LedgerEntry, LedgerStatus, Run, RunStatus

if TYPE_CHECKING:
    from runner.cli.app import App

CONSOLE_NAMES = {"pm": "Product Management", "symantec": "Symantec backend",
                 "geotrust": "GeoTrust", "mail": "mail", "portal": "customer portal"}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def answer(result: RunResult) -> dict[str, Any]:
    """A run's answer as the CLI prints it: ``next_action.command`` as an argv list."""
    from runner.cli.argv import command_line

    return dict(result.to_dict(command_line))


def summary(run: Run) -> dict[str, Any]:
    """One row: enough to decide what to do with the run, not its whole history."""
    return {"run_id": run.run_id, "ticket": run.ticket, "flow": run.flow,
            "status": str(run.status), "outcome": run.outcome,
            "current_step": run.current_step,
            "next_action": answer(result_of(run, ()))["next_action"],  # steps not needed
            "created_at": _iso(run.created_at), "updated_at": _iso(run.updated_at),
            "next_check_at": _iso(run.next_check_at), "deadline": _iso(run.deadline)}


def list_runs(app: App, status: str | None = None, ticket: str | None = None,
              flow: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    return [summary(r) for r in app.store.list_runs(status=status, ticket=ticket, flow=flow,
                                                     limit=limit)]


def load_run(app: App, run_id: str) -> Run:
    run = app.store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id} in {app.config.store}", code=ErrorCode.UNKNOWN_RUN)
    return run


def _ledger_row(entry: LedgerEntry) -> dict[str, Any]:
    row = asdict(entry)
    row["status"] = str(entry.status)
    row["attempted_at"] = _iso(entry.attempted_at)
    row["confirmed_at"] = _iso(entry.confirmed_at)
    return row


def show(app: App, run_id: str) -> tuple[RunResult, dict[str, Any]]:
    """The run's result plus everything recorded about it: events and its ledger entries."""
    run = load_run(app, run_id)
    history = app.store.events(run.run_id)
    result = result_of(run, history)
    events = [{"seq": e.seq, "ts": e.ts.isoformat(), "step": e.step, "kind": e.kind,
               "status": e.status, "duration_ms": e.duration_ms, "data": e.data}
              for e in history]
    ledger = [_ledger_row(e) for e in _ledger_of(app, run.run_id)]
    return result, {**answer(result), "current_step": run.current_step,
            "inputs": run.inputs, "created_at": _iso(run.created_at),
            "updated_at": _iso(run.updated_at), "next_check_at": _iso(run.next_check_at),
            "deadline": _iso(run.deadline), "events": events, "ledger": ledger}


def status(app: App, ref: str) -> list[RunResult]:
    """A run by id, or every run of a ticket (oldest first)."""
    refuse_control_chars("ticket or run id", ref)
    run = app.store.get_run(ref)
    runs = [run] if run else app.store.find_runs_by_ticket(ref)
    if not runs:
        raise InputError(f"no run or ticket {ref!r} in {app.config.store}",
                         code=ErrorCode.UNKNOWN_RUN)
    return [result_of(r, app.store.events(r.run_id)) for r in runs]


def _ledger_of(app: App, run_id: str) -> list[LedgerEntry]:
    """The side effects this run attempted (the one place that reads the ledger by run)."""
    return app.store.ledger.for_run(run_id)


def what_to_check(entry: LedgerEntry) -> str:
    """A sentence naming the console and the order a person must look at."""
    console = CONSOLE_NAMES.get(entry.action.partition(".")[0], entry.action.partition(".")[0])
    return (f"{entry.action} on order {entry.order_key} was attempted at "
            f"{entry.attempted_at.isoformat()} and never confirmed: check on the {console} "
            f"console whether it happened")


def abandon(app: App, run_id: str, reason: str, force: bool = False) -> RunResult:
    """Close a run that will not finish (waiting, needs_input, failed) for good; the store
    enforces the rules, this adds what a person must check before forcing."""
    if not reason.strip():
        raise InputError("say why the run is abandoned: --reason TEXT",
                         code=ErrorCode.MISSING_REASON)
    run = load_run(app, run_id)
    open_effects = [e for e in _ledger_of(app, run_id) if e.status is LedgerStatus.ATTEMPTING]
    if open_effects and not force:
        checks = "; ".join(what_to_check(e) for e in open_effects)
        raise InputError(
            f"run {run_id} (ticket {run.ticket}) is not abandoned: {checks}. If it happened, "
            f"resume the run and confirm it (the run asks how); if you are sure it did not "
            f"matter, abandon with --force", code=ErrorCode.SIDE_EFFECT_UNCONFIRMED)
    run = app.store.abandon_run(run_id, reason, force=force)
    return result_of(run, app.store.events(run_id))


def needs_person(app: App) -> list[dict[str, Any]]:
    """Runs paused for a person: ``resume --due`` cannot move them, so it lists them."""
    return [summary(r) for r in app.store.list_runs(status=RunStatus.NEEDS_INPUT.value)]


def _command_text(next_action: dict[str, Any] | None) -> str:
    command = (next_action or {}).get("command")
    return shlex.join(command) if isinstance(command, list) else str(command or "")


def table(rows: list[dict[str, Any]]) -> str:
    """One line per run for a person; the JSON has every field."""
    if not rows:
        return "no runs"
    lines = [f"{'RUN':<17} {'TICKET':<12} {'FLOW':<14} {'STATUS':<12} {'AT / OUTCOME':<20} "
             "UPDATED"]
    for r in rows:
        where = r["outcome"] or r["current_step"] or ""
        lines.append(f"{r['run_id']:<17} {r['ticket']:<12} {r['flow']:<14} {r['status']:<12} "
                     f"{where:<20} {(r['updated_at'] or '')[:19]}")
    return "\n".join(lines)


def detail_text(detail: dict[str, Any], head: str) -> str:
    """``head`` (the run's summary) then its events and ledger, a line each."""
    lines = [head, "  events:"]
    for e in detail["events"]:
        extra = e["data"].get("detail") or e["data"].get("reason") or ""
        lines.append(f"    {e['seq']:>3} {e['ts'][:19]} {e['step'] or '-':<18} {e['kind']:<8} "
                     f"{e['status'] or '':<9} {extra}")
    lines.append("  ledger:" if detail["ledger"] else "  ledger: (no side effects)")
    for entry in detail["ledger"]:
        lines.append(f"    {entry['action']} order {entry['order_key']}: {entry['status']} "
                     f"(attempted {entry['attempted_at'][:19]})")
    return "\n".join(lines)


def due_summary(resumed: list[str], waiting: list[dict[str, Any]]) -> str:
    """What cron resumed (a summary each), then what only a person can move."""
    lines = resumed or ["no runs are due"]
    if waiting:
        lines.append(f"{len(waiting)} run(s) wait for a person (needs_input):")
        for row in waiting:
            action = row["next_action"] or {}
            lines.append(f"  {row['run_id']}  ticket {row['ticket']}  {row['flow']}: "
                         f"{action.get('summary', '')}")
            if action.get("command"):
                lines.append(f"    run: {_command_text(action)}")
    return "\n".join(lines)
