"""The commands of a ticket's run: ``run``, ``resume``, ``status`` and ``runs list/show/abandon``.

Each parses, calls the application layer (``runner.app.tickets``, ``runner.app.runs``) and
prints through ``runner.cli.output``; the exit code says finished (0), paused (3), failed (1) or
bad input (2).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from runner.cli.options import (
    Obj,
    actor_option,
    common_options,
    json_option,
    parse_inputs,
    pass_obj,
    ticket_inputs,
    ticket_options,
)
from runner.cli.output import (
    emit,
    fail,
    finish,
    progress_for,
    refused,
    render,
    summary,
    watch_for,
)
from runner.error_codes import ExitCode
from runner.errors import RunnerError


@click.command("run")
@ticket_options
@json_option("Print one JSON object.")
@click.option("--dry-run", is_flag=True, help="Run read-only steps; stop before a side effect.")
@actor_option
@common_options
@pass_obj
def run_cmd(obj: Obj, flow: str, ticket: str, domain: str, inputs: tuple[str, ...],
            as_json: bool, dry_run: bool, as_name: str | None) -> None:
    """Run FLOW (a name in flows/ or a path) for one ticket."""
    from runner.app import tickets
    from runner.app.people import cli_actor

    progress = progress_for(as_json)
    try:
        prepared = tickets.prepare(flow, ticket, ticket_inputs(domain, inputs))
        result = tickets.start(obj.app, prepared, actor=cli_actor(as_name), dry_run=dry_run,
                               progress=progress, watch=watch_for(progress))
    except RunnerError as exc:
        fail(exc, as_json, ticket=ticket, flow=flow, domain=domain)
    finish(result, as_json, obj.app)


@click.command("resume")
@click.argument("run_id", required=False)
@click.option("--due", is_flag=True, help="Resume every waiting run whose check time has come.")
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="A flow input.")
@json_option()
@actor_option
@common_options
@pass_obj
def resume_cmd(obj: Obj, run_id: str | None, due: bool, inputs: tuple[str, ...],
               as_json: bool, as_name: str | None) -> None:
    """Continue a paused or failed run from the step it stopped at (never from the start)."""
    from runner.app import runs, tickets
    from runner.app.people import cli_actor
    from runner.cli.text import due_summary

    if bool(run_id) == due:
        raise click.UsageError("give either RUN_ID or --due")
    progress = progress_for(as_json)
    try:
        if run_id:
            result = tickets.resume(obj.app, run_id, parse_inputs(inputs),
                                    actor=cli_actor(as_name), progress=progress,
                                    watch=watch_for(progress))
            finish(result, as_json, obj.app)
        results = tickets.resume_due(obj.app, progress=progress)
        waiting = _rows(obj, runs.needs_person(obj.app))
    except RunnerError as exc:
        if run_id and exc.refused_run == run_id:  # left as it was: show it as it stands
            refused(exc, as_json, runs.get(obj.app, run_id), obj.app)
        fail(exc, as_json, run_id=run_id)
    emit({"resumed": [render(r, obj.app) for r in results], "needs_input": waiting}, as_json,
         due_summary([summary(r, obj.app) for r in results], waiting))
    sys.exit(ExitCode.FAILED if any(r.status == "failed" for r in results)
             else ExitCode.FINISHED)


def _rows(obj: Obj, found: list[Any]) -> list[dict[str, Any]]:
    """A run list's rows, each with its next action as this door writes it."""
    from runner.app import runs

    return [{**runs.row(obj.app, run), "next_action": render(res, obj.app)["next_action"]}
            for run, res in runs.with_results(obj.app, found)]


@click.command("status")
@click.argument("ref")
@json_option()
@common_options
@pass_obj
def status_cmd(obj: Obj, ref: str, as_json: bool) -> None:
    """Show a run by RUN_ID, or a TICKET's newest run (its other runs are named)."""
    from runner.app import runs

    try:
        found = runs.status(obj.app, ref)
    except RunnerError as exc:
        fail(exc, as_json, ref=ref)
    others = [{**o, "next_action": None} for o in found.others]
    if others and not as_json:
        click.echo("other runs of this ticket: " + ", ".join(
            f"{o['run_id']} ({o['flow']}, {o['status']})" for o in others))
    finish(found.current, as_json, obj.app, {"other_runs": others})


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
    from runner.app import runs
    from runner.cli.text import table

    filters = runs.Filters(status=status, ticket=ticket, flow=flow, limit=limit)
    try:
        filters.check()
    except RunnerError as exc:
        raise click.BadParameter(exc.message,
                                 param_hint=f"--{exc.context.get('field')}") from exc
    rows = _rows(obj, obj.app.store.list_runs(status=status, ticket=ticket, flow=flow,
                                              limit=limit))
    emit(rows, as_json, table(rows))


@runs_group.command("show")
@click.argument("run_id")
@json_option()
@common_options
@pass_obj
def runs_show(obj: Obj, run_id: str, as_json: bool) -> None:
    """One run in full: its result, every step event, decisions, artifacts and ledger."""
    from runner.app import runs
    from runner.cli.text import detail_text

    try:
        detail = runs.show(obj.app, run_id)
    except RunnerError as exc:
        fail(exc, as_json, ref=run_id)
    shown = {**render(detail.result, obj.app), **detail.extra()}
    emit(shown, as_json, detail_text(shown, summary(detail.result, obj.app)))


@runs_group.command("abandon")
@click.argument("run_id")
@click.option("--reason", required=True, help="Why (kept with the decision).")
@click.option("--force", is_flag=True,
              help="Even with a side effect whose fate is unknown (check the console first).")
@json_option()
@actor_option
@common_options
@pass_obj
def runs_abandon(obj: Obj, run_id: str, reason: str, force: bool, as_json: bool,
                 as_name: str | None) -> None:
    """Give up a queued, waiting, needs_input or failed run for good."""
    from runner.app import runs
    from runner.app.people import cli_actor

    try:
        result = runs.abandon(obj.app, run_id, reason, cli_actor(as_name), force=force)
    except RunnerError as exc:
        fail(exc, as_json, run_id=run_id)
    finish(result, as_json, obj.app)


COMMANDS = (run_cmd, resume_cmd, status_cmd, runs_group)
