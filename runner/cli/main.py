"""The one CLI. Thin: parse, call the runner, print. Agents rely on its JSON and exit codes.

Exit codes: 0 finished (succeeded or denied), 3 paused (waiting or needs_input), 1 failed,
2 bad usage, bad input or an invalid flow.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from typing import Any

import click

from runner.config.home import restrict_new_files
from runner.error_codes import ErrorCode, ExitCode, exit_code
from runner.errors import RunnerError


class Obj:
    """What every command shares; built once, closed at exit."""

    def __init__(self) -> None:
        self.config_path: str | None = None
        self.headed = False
        self._app: Any = None

    @property
    def app(self) -> Any:
        if self._app is None:
            from runner.cli.app import App

            self._app = App(self.config_path, headed=self.headed)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


pass_obj = click.make_pass_decorator(Obj, ensure=True)
LOG_LEVELS = ("debug", "info", "warning", "error")


def config_option(func: Any) -> Any:
    """--config is accepted on every command, before or after the command name."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value:
            ctx.ensure_object(Obj).config_path = value
        return value

    return click.option("--config", "config_path", envvar="CERTRUNNER_CONFIG", expose_value=False,
                        callback=remember, help="Config YAML (default: config/default.yaml).")(func)


def parse_inputs(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--input")
        out[key.strip()] = value
    return out


def emit(payload: dict[str, Any] | list[Any], as_json: bool, text: str) -> None:
    click.echo(json.dumps(payload, indent=2, default=str) if as_json else text)


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
@config_option
@click.option("--headed", is_flag=True, help="Show the browser (debugging).")
@click.option("--log-level", default=None, type=click.Choice(LOG_LEVELS, case_sensitive=False),
              help="debug, info, warning, error (default: info for JSON).")
@click.pass_context
def cli(ctx: click.Context, headed: bool, log_level: str | None) -> None:
    """Cancel and refund SSL certificates on vendor consoles, one ticket per run."""
    from runner import logs

    obj = ctx.ensure_object(Obj)
    obj.headed = headed
    logs.configure(level=log_level)
    ctx.call_on_close(obj.close)


@cli.command("run")
@click.argument("flow")
@click.option("--ticket", required=True, help="Support ticket id; one run per ticket and flow.")
@click.option("--domain", required=True, help="The certificate's domain, exactly as ordered.")
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="A flow input.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--dry-run", is_flag=True, help="Run read-only steps; stop before a side effect.")
@config_option
@pass_obj
def run_cmd(obj: Obj, flow: str, ticket: str, domain: str, inputs: tuple[str, ...],
            as_json: bool, dry_run: bool) -> None:
    """Run FLOW (a name in flows/ or a path) for one ticket."""
    from runner.cli.commands import run_flow

    try:
        result = run_flow(obj.app, flow, ticket, {"domain": domain, **parse_inputs(inputs)},
                          dry_run=dry_run, progress=None if as_json else click.echo)
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
@config_option
@pass_obj
def resume_cmd(obj: Obj, run_id: str | None, due: bool, inputs: tuple[str, ...],
               as_json: bool) -> None:
    """Continue a paused or failed run from the step it stopped at (never from the start)."""
    from runner.cli.commands import resume_due, resume_run

    if bool(run_id) == due:
        raise click.UsageError("give either RUN_ID or --due")
    try:
        if run_id:
            result = resume_run(obj.app, run_id, parse_inputs(inputs),
                                progress=None if as_json else click.echo)
            finish(result, as_json)
        results = resume_due(obj.app, progress=None if as_json else click.echo)
    except RunnerError as exc:
        fail(exc, as_json, run_id=run_id)
    emit([render(r) for r in results], as_json,
         "\n".join(summary(r) for r in results) or "no runs are due")
    sys.exit(ExitCode.FAILED if any(r.status == "failed" for r in results)
             else ExitCode.FINISHED)


@cli.command("status")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@config_option
@pass_obj
def status_cmd(obj: Obj, ref: str, as_json: bool) -> None:
    """Show a run by RUN_ID, or every run of a TICKET."""
    from runner.cli.commands import status

    try:
        results = status(obj.app, ref)
    except RunnerError as exc:
        fail(exc, as_json, ref=ref)
    if len(results) == 1:
        finish(results[0], as_json)
    emit([render(r) for r in results], as_json, "\n".join(summary(r) for r in results))


@cli.group("flows")
def flows_group() -> None:
    """List and validate flows."""


@flows_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def flows_list(as_json: bool) -> None:
    """The flows in flows/ with their descriptions."""
    from runner.cli.commands import list_flows

    rows = list_flows()
    emit(rows, as_json, "\n".join(f"{r['name']:<15} {r['description']}" for r in rows))


@flows_group.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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
@config_option
@pass_obj
def verify_cmd(obj: Obj, as_json: bool, junit: str | None, html: str | None,
               proposals: str | None, notify_url: str | None) -> None:
    """Visit every page read-only; check every declared locator (exit 1 drift, 2 unreachable)."""
    from runner.selectors.command import Outputs, run_check

    outputs = Outputs(as_json=as_json, junit=junit, html=html, proposals=proposals,
                      notify_url=notify_url)
    sys.exit(run_check(obj.app, outputs, echo=click.echo))


@cli.command("demo")
@config_option
@pass_obj
def demo_cmd(obj: Obj) -> None:
    """Walk the three cases on the built-in sandbox, printing each step."""
    from runner.cli.demo import run_demo

    sys.exit(run_demo(obj.app, echo=click.echo))


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
        cli.main(args=args, prog_name="certrunner", standalone_mode=False)
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
