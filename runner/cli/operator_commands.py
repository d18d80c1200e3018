"""``certrunner operators add|list|remove``: who may use the console and the HTTP API.

The token ``add`` prints is shown once; the store keeps only its hash. Changes are decisions,
recorded with the name of who made them (``--as NAME``, CERTRUNNER_OPERATOR, else the OS user).
"""

from __future__ import annotations

import click

from runner.cli.options import Obj, common_options, json_option, pass_obj
from runner.cli.output import emit, fail
from runner.errors import RunnerError

ROLES = ("viewer", "operator", "admin")


def _as_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option("--as", "as_name", metavar="NAME",
                        help="Who makes the change (default: CERTRUNNER_OPERATOR, else the OS "
                             "user).")(func)


@click.group("operators")
def operators() -> None:
    """People who use the console and the HTTP API, each with a role and a token."""


@operators.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="viewer reads; operator also answers, retries and abandons; admin also "
                   "manages operators.")
@_as_option
@json_option('Print {"name", "role", "token"}.')
@common_options
@pass_obj
def add_cmd(obj: Obj, name: str, role: str, as_name: str | None, as_json: bool) -> None:
    """Add an operator and print their token (once: only its hash is kept)."""
    from runner.app import operators as app_operators
    from runner.app.people import cli_actor

    try:
        made = app_operators.add(obj.app.store, cli_actor(as_name), name, role)
    except RunnerError as exc:
        fail(exc, as_json)
    emit(made, as_json, f"operator {made['name']} ({made['role']}) added; their token, shown "
                        f"only now:\n{made['token']}")


@operators.command("list")
@json_option()
@common_options
@pass_obj
def list_cmd(obj: Obj, as_json: bool) -> None:
    """Every operator with their role (never a token)."""
    from runner.app import operators as app_operators
    from runner.app.people import cli_actor

    rows = app_operators.listing(obj.app.store, cli_actor())
    text = "\n".join(f"{r['name']:<24} {r['role']:<9} added {r['created_at']} by "
                     f"{r['created_by']}" for r in rows) or (
        "no operators yet: certrunner operators add NAME --role admin")
    emit(rows, as_json, text)


@operators.command("remove")
@click.argument("name")
@_as_option
@json_option()
@common_options
@pass_obj
def remove_cmd(obj: Obj, name: str, as_name: str | None, as_json: bool) -> None:
    """Remove an operator: their token and console sessions stop working at once."""
    from runner.app import operators as app_operators
    from runner.app.people import cli_actor

    try:
        removed = app_operators.remove(obj.app.store, cli_actor(as_name), name)
    except RunnerError as exc:
        fail(exc, as_json)
    emit(removed, as_json, f"operator {removed['name']} removed")


COMMANDS = (operators,)
