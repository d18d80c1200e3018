"""The commands of a ticket's run: ``run``, ``resume``, ``status`` and ``runs list/show/abandon``.

Each parses, calls the command layer (``runner.cli.commands``, ``runner.cli.runs``) and prints
through ``runner.cli.output``; the exit code says finished (0), paused (3), failed (1) or bad
input (2).
"""

from __future__ import annotations

import sys

import click

from runner.cli.options import (
    Obj,
    common_options,
    json_option,
    parse_inputs,
    pass_obj,
    ticket_inputs,
    ticket_options,
)
from runner.cli.output import emit, fail, finish, progress_for, render, summary
from runner.error_codes import ExitCode
from runner.errors import RunnerError


@click.command("run")
@ticket_options
@json_option("Print one JSON object.")
@click.option("--dry-run", is_flag=True, help="Run read-only steps; stop before a side effect.")
@common_options
@pass_obj
def run_cmd(obj: Obj, flow: str, ticket: str, domain: str, inputs: tuple[str, ...],
            as_json: bool, dry_run: bool) -> None:
    """Run FLOW (a name in flows/ or a path) for one ticket."""
    from runner.cli.commands import run_flow

    try:
        result = run_flow(obj.app, flow, ticket, ticket_inputs(domain, inputs),
                          dry_run=dry_run, progress=progress_for(as_json))
    except RunnerError as exc:
        fail(exc, as_json, ticket=ticket, flow=flow, domain=domain)
    finish(result, as_json)


@click.command("resume")
@click.argument("run_id", required=False)
@click.option("--due", is_flag=True, help="Resume every waiting run whose check time has come.")
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="A flow input.")
@json_option()
@common_options
@pass_obj
def resume_cmd(obj: Obj, run_id: str | None, due: bool, inputs: tuple[str, ...],
               as_json: bool) -> None:
    """Continue a paused or failed run from the step it stopped at (never from the start)."""
    from runner.cli.commands import resume_due, resume_run
    from runner.cli.runs import due_summary, needs_person

    if bool(run_id) == due:
        raise click.UsageError("give either RUN_ID or --due")
    try:
        if run_id:
            result = resume_run(obj.app, run_id, parse_inputs(inputs),
                                progress=progress_for(as_json))
            finish(result, as_json)
        results = resume_due(obj.app, progress=progress_for(as_json))
        waiting = needs_person(obj.app)
    except RunnerError as exc:
        fail(exc, as_json, run_id=run_id)
    emit({"resumed": [render(r) for r in results], "needs_input": waiting}, as_json,
         due_summary([summary(r) for r in results], waiting))
    sys.exit(ExitCode.FAILED if any(r.status == "failed" for r in results)
             else ExitCode.FINISHED)


@click.command("status")
@click.argument("ref")
@json_option()
@common_options
@pass_obj
def status_cmd(obj: Obj, ref: str, as_json: bool) -> None:
    """Show a run by RUN_ID, or every run of a TICKET."""
    from runner.cli.runs import status

    try:
        results = status(obj.app, ref)
    except RunnerError as exc:
        fail(exc, as_json, ref=ref)
    if len(results) == 1:
        finish(results[0], as_json)
    emit([render(r) for r in results], as_json, "\n".join(summary(r) for r in results))


@click.group("runs")
def runs_group() -> None:
    """List, show and abandon runs (the queue of what waits for whom)."""


@runs_group.command("list")
@click.option("--status", help="Only runs with this status (e.g. needs_input, waiting).")
@click.option("--ticket", help="Only this ticket's runs.")
@click.option("--flow", help="Only runs of this flow.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@json_option()
@common_options
@pass_obj
def runs_list(obj: Obj, status: str | None, ticket: str | None, flow: str | None,
              limit: int | None, as_json: bool) -> None:
    """Runs, newest first: id, ticket, flow, status and where each stopped."""
    from runner.cli.runs import list_runs, table
    from runner.engine.contract import statuses

    if status is not None and status not in statuses():
        raise click.BadParameter(f"{status!r} is not one of {', '.join(statuses())}",
                                 param_hint="--status")
    rows = list_runs(obj.app, status=status, ticket=ticket, flow=flow, limit=limit)
    emit(rows, as_json, table(rows))


@runs_group.command("show")
@click.argument("run_id")
@json_option()
@common_options
@pass_obj
def runs_show(obj: Obj, run_id: str, as_json: bool) -> None:
    """One run in full: its result, every step event, its artifacts and ledger entries."""
    from runner.cli.runs import detail_text, show

    try:
        result, detail = show(obj.app, run_id)
    except RunnerError as exc:
        fail(exc, as_json, ref=run_id)
    emit(detail, as_json, detail_text(detail, summary(result)))


@runs_group.command("abandon")
@click.argument("run_id")
@click.option("--reason", required=True, help="Why (kept in the run's events).")
@click.option("--force", is_flag=True,
              help="Even with a side effect whose fate is unknown (check the console first).")
@json_option()
@common_options
@pass_obj
def runs_abandon(obj: Obj, run_id: str, reason: str, force: bool, as_json: bool) -> None:
    """Give up a waiting, needs_input or failed run for good."""
    from runner.cli.runs import abandon

    try:
        result = abandon(obj.app, run_id, reason, force=force)
    except RunnerError as exc:
        fail(exc, as_json, run_id=run_id)
    finish(result, as_json)


COMMANDS = (run_cmd, resume_cmd, status_cmd, runs_group)
