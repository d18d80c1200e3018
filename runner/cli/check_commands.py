"""The commands that check without running a ticket: ``schema``, ``flows list/validate`` and
``verify-selectors`` (the nightly selector check)."""

from __future__ import annotations

import sys

import click

from runner.cli.options import Obj, common_options, json_option, pass_obj
from runner.cli.output import emit, fail
from runner.errors import RunnerError


@click.command("schema")
@common_options
def schema_cmd() -> None:
    """Print the JSON Schema (draft 2020-12) of every --json output."""
    from runner.app.contract import output_schema

    emit(output_schema(), True, "")


@click.group("flows")
def flows_group() -> None:
    """List and validate flows."""


@flows_group.command("list")
@json_option()
@common_options
def flows_list(as_json: bool) -> None:
    """The flows in flows/ with their descriptions."""
    from runner.app.tickets import list_flows

    rows = list_flows()
    emit(rows, as_json, "\n".join(f"{r['name']:<15} {r['description']}" for r in rows))


@flows_group.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
@json_option()
@common_options
def flows_validate(path: str, as_json: bool) -> None:
    """Validate a flow file; errors name file, line and field."""
    from runner.app.tickets import validate_flow
    from runner.language.tree import tree_lines
    from runner.language.validate import default_actions

    try:
        flow = validate_flow(path)
    except RunnerError as exc:
        fail(exc, as_json, path=path)
    tree = "\n".join(tree_lines(flow, default_actions()))
    emit({"path": path, "valid": True, "name": flow.name}, as_json,
         f"{path}: valid ({flow.name})\n{tree}")


@click.command("verify-selectors")
@json_option("Print the JSON summary.")
@click.option("--junit", type=click.Path(dir_okay=False), help="Write JUnit XML here.")
@click.option("--html", type=click.Path(dir_okay=False), help="Write the HTML report here.")
@click.option("--write-proposals", "proposals", type=click.Path(dir_okay=False),
              help="Write the best proposed fix of each broken locator here, as a patch for "
                   "`git apply` (never applied by the check).")
@click.option("--notify-url", envvar="CERTRUNNER_NOTIFY_URL",
              help="POST a JSON summary here when there is drift or an unreachable console.")
@click.option("--keep-night", is_flag=True,
              help="Also write all four reports into a folder of this night's under "
                   "<home>/reports/ (as the scheduled check does), keeping "
                   "selectors.keep_nights nights.")
@common_options
@pass_obj
def verify_cmd(obj: Obj, as_json: bool, junit: str | None, html: str | None,
               proposals: str | None, notify_url: str | None, keep_night: bool) -> None:
    """Visit every page read-only; check every declared locator (exit 1 drift, 2 unreachable)."""
    from runner.selectors.command import Outputs, run_check

    outputs = Outputs(as_json=as_json, junit=junit, html=html, proposals=proposals,
                      notify_url=notify_url, keep_night=keep_night)
    sys.exit(run_check(obj.app, outputs, echo=click.echo))


COMMANDS = (schema_cmd, flows_group, verify_cmd)
