"""``sandbox`` commands (attached to run.py as ``python run.py sandbox ...``).

Every command works on the DB file directly (``--db``, env ``SANDBOX_DB``, default
``var/sandbox.db``), creating and seeding it on first use, so they work with or without a
running server.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from sandbox import captcha, db, faults, mailstore, orders, seed
from sandbox.faults import CONSOLES, LAYOUTS, WRITE_FAULTS, FaultError
from sandbox.orders import STATES, OrderError
from sandbox.times import parse_iso, system_clock

DEFAULT_DB = Path("var/sandbox.db")
DEFAULT_PORT = 8765


class SandboxCliError(click.ClickException):
    """A bad argument or an unknown thing: exit code 2, like other usage errors."""

    exit_code = 2


db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), envvar="SANDBOX_DB",
    default=DEFAULT_DB, show_default=True, help="Sandbox SQLite file (env SANDBOX_DB).")


@contextmanager
def _open(db_path: Path) -> Iterator[sqlite3.Connection]:
    seed.prepare(db_path, system_clock())
    conn = db.connect(db_path)
    try:
        yield conn
    finally:
        conn.close()


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


@click.group("sandbox")
def sandbox() -> None:
    """The vendor-console sandbox: serve it, add orders, read its mail, switch faults."""


@sandbox.command()
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True,
              help="Port on 127.0.0.1 (0 = any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@db_option
def serve(port: int, host: str, db_path: Path) -> None:
    """Serve every console in the foreground until Ctrl-C."""
    from sandbox.server import SandboxServer  # imports Flask only for this command

    server = SandboxServer(db_path, port, host=host, quiet=False)
    click.echo(f"sandbox on {server.url} (db {db_path})")
    for path in ("/pm/", "/symantec/", "/geotrust/", "/mail/"):
        click.echo(f"  {server.url}{path}")
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
@db_option
def add_order(domain: str, purchased_at: str, state: str, admin_email: str | None,
              customer: str | None, db_path: Path) -> None:
    """Add an order and print it as JSON."""
    try:
        when = parse_iso(purchased_at)
    except ValueError:
        raise SandboxCliError(f"--purchased-at is not ISO 8601: {purchased_at!r}") from None
    with _open(db_path) as conn:
        try:
            order = orders.add_order(conn, domain=domain, purchased_at=when, state=state,
                                     admin_email=admin_email, customer=customer)
        except OrderError as exc:
            raise SandboxCliError(str(exc)) from None
    _print_json(order.to_json())


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--base-url", default="", help="Prefix links with the server URL.")
@db_option
def outbox(as_json: bool, base_url: str, db_path: Path) -> None:
    """Delivered access emails: recipient, subject, portal link."""
    with _open(db_path) as conn:
        mails = [m.to_json(base_url) for m in mailstore.delivered(conn, system_clock())]
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
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    with _open(db_path) as conn:
        answer = captcha.solve(conn, digest)
    if answer is None:
        raise SandboxCliError(f"{image} is not a captcha this sandbox drew (sha256 {digest})")
    click.echo(answer)


@sandbox.group("faults")
def faults_group() -> None:
    """Show, set or reset faults (read by a running server on every request)."""


@faults_group.command("show")
@db_option
def faults_show(db_path: Path) -> None:
    """Print the faults in force as JSON."""
    with _open(db_path) as conn:
        _print_json(faults.load(conn).to_json())


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
    with _open(db_path) as conn:
        try:
            _print_json(faults.update(conn, changes).to_json())
        except FaultError as exc:
            raise SandboxCliError(str(exc)) from None


@faults_group.command("reset")
@db_option
def faults_reset(db_path: Path) -> None:
    """Switch every fault off."""
    with _open(db_path) as conn:
        _print_json(faults.reset(conn).to_json())


@sandbox.command()
@db_option
def reset(db_path: Path) -> None:
    """Re-create the DB and seed it afresh (a running server sees the new state)."""
    seed.reset(db_path, system_clock())
    click.echo(f"reset {db_path}")
