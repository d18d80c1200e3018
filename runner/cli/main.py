"""The one CLI. Thin: parse, call the runner, print. Agents rely on its JSON and exit codes.

Exit codes: 0 finished (succeeded, denied or abandoned), 3 paused (waiting or needs_input),
1 failed, 2 bad usage, bad input or an invalid flow. Under ``--json`` stdout carries exactly one
JSON document (docs/contract.md, ``certrunner schema``); everything else goes to stderr.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from typing import Any

import click

from runner.cli.options import Obj, common_options, config_option, parse_inputs, pass_obj
from runner.config.home import restrict_new_files
from runner.error_codes import ErrorCode, ExitCode, exit_code
from runner.errors import RunnerError


def emit(payload: dict[str, Any] | list[Any], as_json: bool, text: str) -> None:
    click.echo(json.dumps(payload, indent=2, default=str) if as_json else text)


def progress_for(as_json: bool) -> Any:
    """Step lines (and a live line on a terminal) for a person; nothing at all under --json."""
    if as_json:
        return None
    from runner.cli.progress import LiveProgress

    live = LiveProgress(click.echo, sys.stderr)
    click.get_current_context().call_on_close(live.close)
    return live


def fail(error: RunnerError, as_json: bool, domain: str | None = None, **extra: Any) -> None:
    """Print an error raised before a run existed, like a run's error, and exit with its code."""
    from runner.engine.texts import customer_failure

    payload: dict[str, Any] = {**extra, "status": "failed"}
    if "ticket" in extra or "run_id" in extra:  # a ticket's command: something to tell them
        payload["customer_message"] = customer_failure(error, domain)
    payload["error"] = error.to_dict()
    emit(payload, as_json, f"error [{error.kind}/{error.code}]: {error}")
    sys.exit(exit_code("failed", error.kind))


@click.group()
@common_options
@click.option("--headed", is_flag=True, help="Show the browser (debugging).")
@click.version_option(package_name="certrunner", prog_name="certrunner",
                      message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, headed: bool) -> None:
    """Cancel and refund SSL certificates on vendor consoles, one ticket per run."""
    obj = ctx.ensure_object(Obj)
    obj.headed = headed
    ctx.call_on_close(obj.close)


@cli.command("run")
@click.argument("flow")
@click.option("--ticket", required=True, help="Support ticket id; one run per ticket and flow.")
@click.option("--domain", required=True, help="The certificate's domain, exactly as ordered.")
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="A flow input.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--dry-run", is_flag=True, help="Run read-only steps; stop before a side effect.")
@common_options
@pass_obj
def run_cmd(obj: Obj, flow: str, ticket: str, domain: str, inputs: tuple[str, ...],
            as_json: bool, dry_run: bool) -> None:
    """Run FLOW (a name in flows/ or a path) for one ticket."""
    from runner.cli.commands import run_flow

    try:
        result = run_flow(obj.app, flow, ticket, {"domain": domain, **parse_inputs(inputs)},
                          dry_run=dry_run, progress=progress_for(as_json))
    except RunnerError as exc:
        fail(exc, as_json, ticket=ticket, flow=flow, domain=domain)
    finish(result, as_json)


def render(result: Any) -> dict[str, Any]:
    """A run's answer with ``next_action.command`` as an argv list (see runner.cli.argv)."""
    from runner.cli.argv import command_line

    return dict(result.to_dict(command_line))


def summary(result: Any) -> str:
    from runner.cli.argv import shell_line
    from runner.engine.result import human_summary

    action = result.next_action
    command = f"\n  run: {shell_line(action.command)}" if action and action.command else ""
    return human_summary(result) + command


def finish(result: Any, as_json: bool) -> None:
    emit(render(result), as_json, summary(result))
    sys.exit(result.exit_code)


@cli.command("resume")
@click.argument("run_id", required=False)
@click.option("--due", is_flag=True, help="Resume every waiting run whose check time has come.")
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="A flow input.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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


@cli.command("status")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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


@cli.group("runs")
def runs_group() -> None:
    """List, show and abandon runs (the queue of what waits for whom)."""


@runs_group.command("list")
@click.option("--status", help="Only runs with this status (e.g. needs_input, waiting).")
@click.option("--ticket", help="Only this ticket's runs.")
@click.option("--flow", help="Only runs of this flow.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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


@cli.command("schema")
@common_options
def schema_cmd() -> None:
    """Print the JSON Schema (draft 2020-12) of every --json output."""
    from runner.engine.contract import output_schema

    emit(output_schema(), True, "")


@cli.group("flows")
def flows_group() -> None:
    """List and validate flows."""


@flows_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def flows_list(as_json: bool) -> None:
    """The flows in flows/ with their descriptions."""
    from runner.cli.commands import list_flows

    rows = list_flows()
    emit(rows, as_json, "\n".join(f"{r['name']:<15} {r['description']}" for r in rows))


@flows_group.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def flows_validate(path: str, as_json: bool) -> None:
    """Validate a flow file; errors name file, line and field."""
    from runner.cli.commands import validate_flow

    try:
        flow = validate_flow(path)
    except RunnerError as exc:
        fail(exc, as_json, path=path)
    emit({"path": path, "valid": True, "name": flow.name}, as_json, f"{path}: valid ({flow.name})")


@cli.command("verify-selectors")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON summary.")
@click.option("--junit", type=click.Path(dir_okay=False), help="Write JUnit XML here.")
@click.option("--html", type=click.Path(dir_okay=False), help="Write the HTML report here.")
@click.option("--write-proposals", "proposals", type=click.Path(dir_okay=False),
              help="Write the best proposed fix of each broken locator here, as a patch for "
                   "`git apply` (never applied by the check).")
@click.option("--notify-url", envvar="CERTRUNNER_NOTIFY_URL",
              help="POST a JSON summary here when there is drift or an unreachable console.")
@common_options
@pass_obj
def verify_cmd(obj: Obj, as_json: bool, junit: str | None, html: str | None,
               proposals: str | None, notify_url: str | None) -> None:
    """Visit every page read-only; check every declared locator (exit 1 drift, 2 unreachable)."""
    from runner.selectors.command import Outputs, run_check

    outputs = Outputs(as_json=as_json, junit=junit, html=html, proposals=proposals,
                      notify_url=notify_url)
    sys.exit(run_check(obj.app, outputs, echo=click.echo))


@cli.command("demo")
@common_options
@pass_obj
def demo_cmd(obj: Obj) -> None:
    """Walk the three cases on the built-in sandbox, printing each step."""
    from runner.cli.demo import run_demo

    sys.exit(run_demo(obj.app, echo=click.echo))


def service_options(func: Any) -> Any:
    """The options `serve` and `mcp` share: how many runs at once, and the scheduler."""
    func = click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True,
                        envvar="CERTRUNNER_WORKERS", help="Runs at once (one browser "
                        "context each, all in one Chromium).")(func)
    func = click.option("--poll", type=click.IntRange(1), default=30, show_default=True,
                        help="Seconds between looks for due runs.")(func)
    return click.option("--grace", type=click.IntRange(0), default=60, show_default=True,
                        help="Seconds SIGTERM lets running runs reach their next pause.")(func)


def _options(obj: Obj, **given: Any) -> Any:
    from datetime import timedelta

    from runner.service.options import ServiceOptions

    return ServiceOptions(
        workers=given.pop("workers"), poll=timedelta(seconds=given.pop("poll")),
        grace=timedelta(seconds=given.pop("grace")), config_path=obj.config_path,
        headed=obj.headed, **given).with_token_from_env()


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="CERTRUNNER_HOST",
              help="Address to listen on; beyond loopback CERTRUNNER_API_TOKEN is required.")
@click.option("--port", type=click.IntRange(0, 65535), default=8700, show_default=True,
              envvar="CERTRUNNER_PORT", help="Port to listen on.")
@service_options
@config_option
@pass_obj
def serve_cmd(obj: Obj, **given: Any) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and MCP (/mcp) with a warm browser."""
    from runner.service.serve import serve

    try:
        options = _options(obj, **given)
        options.check()
    except RunnerError as exc:
        fail(exc, False)
    sys.exit(serve(options))


@cli.command("mcp")
@service_options
@config_option
@pass_obj
def mcp_cmd(obj: Obj, **given: Any) -> None:
    """Serve the MCP tools over stdio (for an agent host that starts certrunner itself)."""
    from runner.service.serve import serve_mcp_stdio

    try:
        options = _options(obj, **given)
        options.check()
    except RunnerError as exc:
        fail(exc, False)
    sys.exit(serve_mcp_stdio(options))


class _SandboxCommand(click.Group):
    """``sandbox ...``, loaded on first use: its web app (Flask, Pillow) costs every other
    command nothing."""

    def _real(self) -> click.Group:
        from sandbox.cli import sandbox

        return sandbox

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)


cli.add_command(_SandboxCommand(
    "sandbox", help="The console sandbox: serve it, add orders, read its mail, switch faults."))


def main(argv: list[str] | None = None) -> None:
    """Usage errors are part of the contract too: with --json they come back as JSON."""
    args = sys.argv[1:] if argv is None else argv
    restrict_new_files()  # every state file 0600, every folder 0700, browser's included
    try:
        cli.main(args=args, prog_name="certrunner", standalone_mode=False,
                 obj=Obj(json_output="--json" in args))
    except RunnerError as exc:  # raised outside a command's own handling (config, clock)
        fail(exc, "--json" in args)
    except sqlite3.DatabaseError as exc:  # damage found after the store opened cleanly
        from runner.engine.store_open import corrupt

        fail(corrupt(None, str(exc)), "--json" in args)
    except click.ClickException as exc:
        if "--json" not in args:
            exc.show()
            sys.exit(exc.exit_code)
        code = ErrorCode.USAGE_ERROR if isinstance(exc, click.UsageError) else ErrorCode.BAD_INPUT
        emit({"status": "failed", "error": {"kind": str(code.kind), "code": str(code),
                                            "message": exc.format_message()}}, True, "")
        sys.exit(code.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()


from runner.cli import queue as _queue  # noqa: E402, F401 - registers worker, beat, enqueue
