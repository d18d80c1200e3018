"""The one CLI. Thin: parse, call the runner, print. Agents rely on its JSON and exit codes.

Exit codes: 0 finished (succeeded or denied), 3 paused (waiting or needs_input), 1 failed,
2 bad usage, bad input or an invalid flow.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from runner.engine.result import EXIT_USAGE
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


def fail(error: RunnerError, as_json: bool, **extra: Any) -> None:
    """Print an error raised before a run existed, like a run's error, and exit with its code."""
    payload = {**extra, "status": "failed", "error": error.to_dict()}
    emit(payload, as_json, f"error [{error.kind}/{error.code}]: {error}")
    sys.exit(EXIT_USAGE if error.kind == "input" else 1)


@click.group()
@config_option
@click.option("--headed", is_flag=True, help="Show the browser (debugging).")
@click.option("--log-level", default=None, help="debug, info, warning (default: info for JSON).")
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
        fail(exc, as_json, ticket=ticket, flow=flow)
    finish(result, as_json)


def finish(result: Any, as_json: bool) -> None:
    from runner.engine.result import human_summary

    emit(result.to_dict(), as_json, human_summary(result))
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
    from runner.engine.result import EXIT_FAILED, EXIT_FINISHED, human_summary

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
    emit([r.to_dict() for r in results], as_json,
         "\n".join(human_summary(r) for r in results) or "no runs are due")
    sys.exit(EXIT_FAILED if any(r.status == "failed" for r in results) else EXIT_FINISHED)


@cli.command("status")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@config_option
@pass_obj
def status_cmd(obj: Obj, ref: str, as_json: bool) -> None:
    """Show a run by RUN_ID, or every run of a TICKET."""
    from runner.cli.commands import status
    from runner.engine.result import human_summary

    try:
        results = status(obj.app, ref)
    except RunnerError as exc:
        fail(exc, as_json, ref=ref)
    if len(results) == 1:
        finish(results[0], as_json)
    emit([r.to_dict() for r in results], as_json, "\n".join(human_summary(r) for r in results))


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
@config_option
@pass_obj
def verify_cmd(obj: Obj, as_json: bool, junit: str | None, html: str | None) -> None:
    """Visit every page read-only; check every declared locator (exit 1 drift, 2 unreachable)."""
    from runner.selectors.check import run_check

    sys.exit(run_check(obj.app, as_json=as_json, junit=junit, html=html, echo=click.echo))


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
    try:
        cli.main(args=args, prog_name="certrunner", standalone_mode=False)
    except click.ClickException as exc:
        if "--json" not in args:
            exc.show()
            sys.exit(exc.exit_code)
        code = "usage_error" if isinstance(exc, click.UsageError) else "bad_input"
        emit({"status": "failed", "error": {"kind": "input", "code": code,
                                            "message": exc.format_message()}}, True, "")
        sys.exit(EXIT_USAGE)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
