"""``sandbox`` commands (attached to run.py as ``python run.py sandbox ...``).

Every command works on the DB file directly (``--db``, env ``SANDBOX_DB``, default
``sandbox.db`` in the state home, the same file the runner's built-in sandbox uses), creating and
seeding it on first use, so they work with or without a running server.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import click

from sandbox import seed
from sandbox.control import Sandbox, UnknownCaptcha
from sandbox.faults import CONSOLES, LAYOUTS, WRITE_FAULTS, FaultError
from sandbox.home import SandboxPathError, private_dir, state_home
from sandbox.orders import STATES, OrderError
from sandbox.times import SystemClock, parse_iso

DEFAULT_PORT = 8765
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class SandboxCliError(click.ClickException):
    """A bad argument or an unknown thing: exit code 2, like other usage errors."""

    exit_code = 2


def _default_db() -> Path:
    try:
        return state_home() / "sandbox.db"
    except SandboxPathError as exc:
        raise SandboxCliError(exc.message) from None


db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), envvar="SANDBOX_DB",
    default=_default_db, show_default="sandbox.db in the state home",
    help="Sandbox SQLite file (env SANDBOX_DB).")


def _prepare(db_path: Path) -> None:
    """Create and seed the DB in an owner-only folder; a bad path is a usage error."""
    try:
        private_dir(db_path.parent)
        seed.prepare(db_path, SystemClock().now())
    except SandboxPathError as exc:
        raise SandboxCliError(exc.message) from None
    except (sqlite3.Error, OSError) as exc:
        raise SandboxCliError(f"cannot use the sandbox database {db_path}: {exc}") from None


def _sandbox(db_path: Path) -> Sandbox:
    """The control library on ``db_path``, prepared here so that a bad path is a usage error."""
    _prepare(db_path)
    return Sandbox(db_path)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


@click.group("sandbox")
def sandbox() -> None:
    """The vendor-console sandbox: serve it, add orders, read its mail, switch faults."""


@sandbox.command()
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to listen on (0 = any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; only loopback unless --allow-remote.")
@click.option("--allow-remote", is_flag=True,
              help="Allow a non-loopback --host: the sandbox has fixed passwords and no TLS.")
@db_option
def serve(port: int, host: str, allow_remote: bool, db_path: Path) -> None:
    """Serve every console in the foreground until Ctrl-C."""
    if host not in LOOPBACK and not allow_remote:
        raise SandboxCliError(f"--host {host} would expose the sandbox (fixed passwords, no TLS) "
                              "beyond this machine; add --allow-remote if that is meant")
    from sandbox.server import SandboxServer  # imports Flask only for this command

    _prepare(db_path)
    try:
        server = SandboxServer(db_path, port, host=host, quiet=False)
        url = server.url  # binds now: a port in use is an error here, not a traceback later
    except OSError as exc:
        raise SandboxCliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    click.echo(f"sandbox on {url} (db {db_path})")
    for path in ("/pm/", "/symantec/", "/geotrust/", "/mail/"):
        click.echo(f"  {url}{path}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")


@sandbox.command("add-order")
@click.option("--domain", required=True, help="Common name, e.g. new.example.")
@click.option("--purchased-at", required=True, help="ISO 8601, e.g. 2026-11-21T10:00:00+00:00.")
@click.option("--state", required=True, type=click.Choice(STATES))
@click.option("--admin-email", default=None, help="Default admin@DOMAIN.")
@click.option("--customer", default=None, help="Customer name (reused if it exists).")
@click.option("--common-name", default=None,
              help="Symantec's common name when it differs from the domain (a mismatch).")
@db_option
def add_order(domain: str, purchased_at: str, state: str, admin_email: str | None,
              customer: str | None, common_name: str | None, db_path: Path) -> None:
    """Add an order and print it as JSON."""
    try:
        when = parse_iso(purchased_at)
    except ValueError:
        raise SandboxCliError(f"--purchased-at is not ISO 8601: {purchased_at!r}") from None
    try:
        order = _sandbox(db_path).add_order(domain=domain, purchased_at=when, state=state,
                                           admin_email=admin_email, customer=customer,
                                           common_name=common_name)
    except OrderError as exc:
        raise SandboxCliError(str(exc)) from None
    _print_json(order)


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--base-url", default="", help="Prefix links with the server URL.")
@db_option
def outbox(as_json: bool, base_url: str, db_path: Path) -> None:
    """Delivered access emails: recipient, subject, portal link."""
    mails = _sandbox(db_path).outbox(base_url)
    if as_json:
        _print_json(mails)
        return
    if not mails:
        click.echo("no delivered mail")
    for mail in mails:
        click.echo(f"{mail['to']}\t{mail['subject']}\t{mail['link']}")


@sandbox.command("solve-captcha")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def solve_captcha(image: Path, db_path: Path) -> None:
    """Print the number in a captcha PNG the sandbox drew (looked up by SHA-256)."""
    try:
        click.echo(_sandbox(db_path).solve_captcha(image))
    except UnknownCaptcha as exc:
        raise SandboxCliError(f"{image} is {exc}") from None


@sandbox.group("faults")
def faults_group() -> None:
    """Show, set or reset faults (read by a running server on every request)."""


@faults_group.command("show")
@db_option
def faults_show(db_path: Path) -> None:
    """Print the faults in force as JSON."""
    _print_json(_sandbox(db_path).faults())


@faults_group.command("set")
@click.option("--latency-ms", type=int, help="Delay every console response.")
@click.option("--error-rate", type=float, help="Share 0..1 of console requests answering 500.")
@click.option("--session-ttl", type=float, help="Symantec session lifetime, seconds.")
@click.option("--mail-delay", type=float, help="Seconds before an access email is delivered.")
@click.option("--layout", type=click.Choice(LAYOUTS))
@click.option("--down", help=f"Comma-separated consoles answering 503 ({','.join(CONSOLES)}); "
                             "'' for none.")
@click.option("--write-fault", type=click.Choice(WRITE_FAULTS),
              help="Form POSTs: error = 500 before acting; hold = act, then hold the answer.")
@click.option("--fail-next", type=int, help="The next N console requests answer 500.")
@db_option
def faults_set(db_path: Path, **changes: Any) -> None:
    """Change the given faults, leave the others; prints the result."""
    try:
        _print_json(_sandbox(db_path).faults(**changes))
    except FaultError as exc:
        raise SandboxCliError(str(exc)) from None


@faults_group.command("reset")
@db_option
def faults_reset(db_path: Path) -> None:
    """Switch every fault off."""
    _print_json(_sandbox(db_path).reset_faults())


@sandbox.command()
@db_option
def reset(db_path: Path) -> None:
    """Re-create the DB and seed it afresh (a running server sees the new state)."""
    _sandbox(db_path).reset()
    click.echo(f"reset {db_path}")
