"""No secret in anything a queue worker writes, at DEBUG level: a worker takes an issued
order (logs in to Symantec, reads the captcha), a person answers from another machine (the
captcha and its GeoTrust session come from the store); both machines' homes and logs, and every
row of the run store in PostgreSQL, are scanned for the Symantec password, the session cookie
and the captcha answer (tests/leaks.py)."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from runner.app.context import AppContext
from runner.app.handoff import enqueue
from runner.app.queue import use_broker
from runner.app.tickets import prepare
from runner.config import load_config
from runner.store.runs import Run, RunStatus, RunStore
from tests import children
from tests.e2e.conftest import SandboxClient
from tests.leaks import assert_no_secret
from tests.waiting import wait_until
from tests.workers.cluster import ROOT, Cluster

pytestmark = [pytest.mark.queue, pytest.mark.timeout(600)]


def _paused(store: RunStore, ticket: str) -> Run | None:
    runs = store.find_runs_by_ticket(ticket)
    return runs[0] if runs and runs[0].status is RunStatus.NEEDS_INPUT else None


def _rows(store_url: str) -> dict[str, str]:
    """Every row of every table of the run store's schema, as text, by table; a paused run's
    files by their own name (``run_files/RUN/cookies.json`` is kept on purpose: tests.leaks)."""
    found: dict[str, str] = {}
    with psycopg.connect(store_url) as db:
        tables = [r[0] for r in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema()")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            columns = [c.name for c in cursor.description or []]
            for row in cursor:
                fields = dict(zip(columns, row, strict=True))
                key = (f"run_files/{fields['run_id']}/{fields['name']}" if table == "run_files"
                       else f"run store table {table}")
                found[key] = found.get(key, "") + f"{fields}\n"
    return found


def test_a_worker_and_a_person_at_debug_level(cluster: Cluster, consoles: SandboxClient,
                                              store_url: str) -> None:
    cluster.log_level = "debug"
    order = consoles.add_order(domain="secret-queue.example", state="issued",
                               purchased_at=consoles.clock.now() - timedelta(days=2))
    app = AppContext()
    app._config = replace(app.config, store_url=cluster.store_url)
    use_broker(cluster.broker_url, queue=cluster.queue,
               visibility_timeout=cluster.visibility_timeout)
    cluster.start_worker("worker-a", concurrency=1)
    assert enqueue(app, prepare("cancel_refund", "T-Q1", {"domain": order["domain"]})).queued
    run = wait_until(lambda: _paused(app.store, "T-Q1"), timedelta(minutes=4),
                     "the worker pausing the run for its captcha",
                     lambda: cluster.log("worker-a")[-2000:])
    assert run.next_action is not None
    answer = consoles.solve_captcha(Path(run.next_action["artifact"]))  # the same image
    person = children.run(
        [sys.executable, str(ROOT / "run.py"), "resume", run.run_id, "--input",
         f"image_number={answer}", "--json", "--log-level", "debug"],
        300, env=cluster.env("desk"), cwd=cluster.root / "desk", text=True)
    assert '"status": "waiting"' in person.stdout, person.stdout + person.stderr
    password = load_config().console("symantec").credentials()[1]
    logs = {"person's resume": person.stdout + person.stderr, **_rows(store_url)}
    assert '"level": "info"' in cluster.log("worker-a"), "the worker logged nothing below warning"
    assert_no_secret([cluster.root], logs, password, [answer],
                     must_scan=("process.log", "symantec.json"))
