"""The one CLI. Thin: parse, call the runner, print. Agents rely on its JSON and exit codes.

Exit codes: 0 finished (succeeded, denied or abandoned), 3 paused (waiting or needs_input),
1 failed, 2 bad usage, bad input or an invalid flow. Under ``--json`` stdout carries exactly one
JSON document (docs/contract.md, ``certrunner schema``); everything else goes to stderr.

This module is the group and the entry point; the commands live by job in
``run_commands`` (a ticket's run), ``check_commands`` (flows, schema, selectors),
``serve_commands`` (HTTP and MCP) and ``queue`` (Celery workers), and print through ``output``.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import TYPE_CHECKING

import click

from runner.cli import check_commands, operator_commands, queue, run_commands, serve_commands
from runner.cli.options import Obj, common_options, pass_obj
from runner.cli.output import emit, fail
from runner.config.home import restrict_new_files
from runner.error_codes import ErrorCode
from runner.errors import RunnerError

if TYPE_CHECKING:
    from playwright.sync_api import Browser


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


@click.command("demo")
@common_options
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


for _command in (*run_commands.COMMANDS, *check_commands.COMMANDS, demo_cmd,
                 *serve_commands.COMMANDS, *queue.COMMANDS, *operator_commands.COMMANDS):
    cli.add_command(_command)
cli.add_command(_SandboxCommand(
    "sandbox", help="The console sandbox: serve it, add orders, read its mail, switch faults."))


def main(argv: list[str] | None = None, *, browser: Browser | None = None) -> None:
    """Usage errors are part of the contract too: with --json they come back as JSON.

    ``browser``: a Chromium the in-process caller owns (the test suite's, one per worker), used
    by a command that needs one instead of launching its own, and left open.
    """
    args = sys.argv[1:] if argv is None else argv
    restrict_new_files()  # every state file 0600, every folder 0700, browser's included
    try:
        cli.main(args=args, prog_name="certrunner", standalone_mode=False,
                 obj=Obj(json_output="--json" in args, browser=browser))
    except RunnerError as exc:  # raised outside a command's own handling (config, clock)
        fail(exc, "--json" in args)
    except sqlite3.DatabaseError as exc:  # damage found after the store opened cleanly
        from runner.store.opening import corrupt

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
