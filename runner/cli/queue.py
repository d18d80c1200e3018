"""The commands past one machine: ``worker``, ``beat`` and ``enqueue`` (Celery on Redis).

Added to the one CLI by ``runner.cli.main``; Celery is imported only when one of them
runs, so every other command costs nothing more.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

import click

from runner.cli.options import (
    Obj,
    common_options,
    json_option,
    pass_obj,
    ticket_inputs,
    ticket_options,
)
from runner.cli.output import emit, fail, render
from runner.errors import RunnerError


def broker_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option("--broker", envvar="CERTRUNNER_BROKER", default=None,
                        help="The Redis broker's URL (default: redis://127.0.0.1:6379/0).")(func)


def _celery(obj: Obj, broker: str | None) -> Any:
    from runner.extras import require

    require("queue", "the worker fleet")
    if obj.config_path:  # worker processes read it at start (runner.workers.tasks)
        os.environ["CERTRUNNER_CONFIG"] = obj.config_path
    from runner.app.queue import use_broker

    return use_broker(broker)


@click.command("worker")
@broker_option
@click.option("--concurrency", type=click.IntRange(1, 32), default=2, show_default=True,
              envvar="CERTRUNNER_WORKER_CONCURRENCY",
              help="Runs at once in this process (one browser context each, one Chromium).")
@click.option("--beat", is_flag=True, help="Also run the beat schedule in this process (one "
              "per installation is enough; more are harmless).")
@click.option("--name", default=None, help="Worker name (default: certrunner-PID@HOST).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              envvar="CERTRUNNER_METRICS_PORT",
              help="Expose Prometheus metrics on this port (0: any free one; default: none).")
@click.option("--loglevel", default="INFO", show_default=True, help="Celery's log level.")
@common_options
@pass_obj
def worker_cmd(obj: Obj, broker: str | None, concurrency: int, beat: bool, name: str | None,
               metrics_port: int | None, loglevel: str) -> None:
    """Advance runs taken from the queue; runs live in the store (CERTRUNNER_STORE)."""
    app = _celery(obj, broker)
    if metrics_port is not None:  # read at the worker's start (runner.observability.worker)
        os.environ["CERTRUNNER_METRICS_PORT"] = str(metrics_port)
    argv = ["worker", "--pool=threads", f"--concurrency={concurrency}", f"--loglevel={loglevel}",
            "--without-gossip", "--without-mingle",
            "-n", name or f"certrunner-{os.getpid()}@{socket.gethostname()}"]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)


@click.command("beat")
@broker_option
@click.option("--loglevel", default="INFO", show_default=True, help="Celery's log level.")
@common_options
@pass_obj
def beat_cmd(obj: Obj, broker: str | None, loglevel: str) -> None:
    """Send the schedule's tasks: a sweep of due and orphaned runs (every
    CERTRUNNER_SWEEP_SECONDS, default 60) and the nightly selector check."""
    app = _celery(obj, broker)
    state = obj.app.config.store.parent / "celerybeat-schedule"
    state.parent.mkdir(parents=True, exist_ok=True)
    app.start(["beat", f"--loglevel={loglevel}", f"--schedule={state}"])


@click.command("enqueue")
@ticket_options
@broker_option
@json_option("Print one JSON object.")
@common_options
@pass_obj
def enqueue_cmd(obj: Obj, flow: str, ticket: str, domain: str, inputs: tuple[str, ...],
                broker: str | None, as_json: bool) -> None:
    """Create the run for a ticket and queue it for the workers (exit 0 once queued)."""
    try:
        _celery(obj, broker)
        from runner.app import tickets
        from runner.app.handoff import enqueue

        prepared = tickets.prepare(flow, ticket, ticket_inputs(domain, inputs))
        done = enqueue(obj.app, prepared)
    except RunnerError as exc:
        fail(exc, as_json, ticket=ticket, flow=flow, domain=domain)
    payload = {**render(done.result, obj.app), "queued": done.queued}
    what = "queued" if done.queued else f"not queued: the ticket has it ({payload['status']})"
    emit(payload, as_json, f"{payload['run_id']} {what}; `certrunner status "
                           f"{payload['run_id']}` follows it")
    sys.exit(0)


COMMANDS = (worker_cmd, beat_cmd, enqueue_cmd)
