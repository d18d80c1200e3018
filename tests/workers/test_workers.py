"""Workers past one machine, for real: PostgreSQL, Redis, worker processes, one killed.

Tickets are put on the queue the way ``certrunner enqueue`` does; three worker processes
(each its own "machine": own home, only the three URLs shared) and a beat process work them
off; one worker is killed with SIGKILL while it holds runs. Then every run must have finished
(none lost, none stuck ``running``), and the sandbox must count at most one refund per order.

CERTRUNNER_QUEUE_TICKETS sets the number of tickets: 60 in CI (env CI set), 20 by default
elsewhere (``make test`` on a shared, loaded machine), any number when set.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from runner.app.context import AppContext as App
from runner.app.handoff import enqueue
from runner.app.queue import use_broker
from runner.app.tickets import prepare
from runner.store.runs import Run, RunStatus, RunStore
from tests import children
from tests.e2e.conftest import SandboxClient
from tests.e2e.once import exactly_once
from tests.waiting import process_gone, wait_until
from tests.workers.cluster import ROOT, Cluster

pytestmark = [pytest.mark.queue, pytest.mark.long, pytest.mark.timeout(900)]
TICKETS = int(os.environ.get("CERTRUNNER_QUEUE_TICKETS") or (60 if os.environ.get("CI") else 20))
FINISHED = (RunStatus.SUCCEEDED, RunStatus.DENIED, RunStatus.NEEDS_INPUT)


def _tickets(consoles: SandboxClient, count: int) -> list[tuple[str, str, str]]:
    """(ticket, domain, kind): mostly orders not yet issued (refunded without a person), some
    second tickets for one of those orders, some outside the refund window, some issued
    (these pause for the captcha, as they must)."""
    now = datetime.now(UTC)
    recent, old = (now - timedelta(days=2)).isoformat(), (now - timedelta(days=40)).isoformat()
    share = max(1, count // 12)
    pending = count - 3 * share
    tickets = []
    for n in range(pending):
        domain = f"q{n}.example"
        consoles.add_order(domain=domain, purchased_at=recent, state="pending_setup")
        tickets.append((f"T-{n}", domain, "pending"))
    tickets += [(f"T-again-{n}", f"q{n}.example", "pending") for n in range(share)]
    for n in range(share):
        consoles.add_order(domain=f"old{n}.example", purchased_at=old, state="issued")
        consoles.add_order(domain=f"iss{n}.example", purchased_at=recent, state="issued")
        tickets += [(f"T-old-{n}", f"old{n}.example", "expired"),
                    (f"T-iss-{n}", f"iss{n}.example", "issued")]
    return tickets


def _client(cluster: Cluster) -> App:
    """The enqueuing side (an agent's machine): the same URLs, nothing else."""
    app = App()
    app._config = replace(app.config, store_url=cluster.store_url)
    use_broker(cluster.broker_url, queue=cluster.queue,
               visibility_timeout=cluster.visibility_timeout)
    return app


def _held_by(store: RunStore, pid: int) -> list[Run]:
    return [r for r in store.list_runs(status="running", limit=10_000)
            if r.lease_owner and f":{pid}:" in r.lease_owner]


def _settled(store: RunStore, total: int) -> list[Run] | None:
    runs = store.list_runs(limit=10_000)
    if len(runs) == total and all(r.status in FINISHED for r in runs):
        return runs
    return None


def test_tickets_on_three_workers_one_killed(cluster: Cluster, consoles: SandboxClient) -> None:
    tickets = _tickets(consoles, TICKETS)
    app = _client(cluster)
    cluster.start_beat()
    for name in ("worker-a", "worker-b", "machine-2"):
        cluster.start_worker(name, concurrency=2)
    for ticket, domain, _kind in tickets:
        assert enqueue(app, prepare("cancel_refund", ticket, {"domain": domain})).queued
    store = app.store
    victim = cluster.processes["worker-a"]
    wait_until(lambda: _held_by(store, victim.pid), timedelta(minutes=3),
               "worker-a holding a run", lambda: cluster.log("worker-a")[-2000:])
    browser = cluster.children("worker-a")
    cluster.kill("worker-a")
    runs = wait_until(lambda: _settled(store, len(tickets)), timedelta(minutes=6),
                      "every run finished", lambda: _stuck(store))
    runs = _confirm_interrupted(cluster, store, consoles, runs)
    _check(tickets, runs, consoles)
    alive = [pid for pid in browser if not process_gone(pid)]
    assert not alive, "the killed worker's Chromium outlived it"


def _stuck(store: RunStore) -> str:
    counts = Counter(str(r.status) for r in store.list_runs(limit=10_000))
    return f"runs by status: {dict(counts)}"


def _confirm_interrupted(cluster: Cluster, store: RunStore, consoles: SandboxClient,
                         runs: list[Run]) -> list[Run]:
    """A kill between the ledger's "attempting" and the click leaves the run asking a person
    (the console shows no refund, and the click may have been in flight). Answer as the person
    would after looking at the console: it did not happen, retry. Then it must finish."""
    asking = [r for r in runs if r.next_action and r.next_action.get("type")
              == "confirm_side_effect"]
    for run in asking:
        order = run.context["steps"]["order"]["order_id"]
        assert consoles.refunds(order) == [], f"{run.run_id}: refunded, yet the ledger asks"
        answer = children.run(
            [sys.executable, str(ROOT / "run.py"), "resume", run.run_id, "--input",
             f"{run.next_action['input']}=retry", "--json"], env=cluster.env("person"),
            cwd=cluster.root / "person", text=True, timeout=300)
        assert answer.returncode == 0, answer.stdout + answer.stderr
    return store.list_runs(limit=10_000) if asking else runs


def _check(tickets: list[tuple[str, str, str]], runs: list[Run],
           consoles: SandboxClient) -> None:
    by_ticket = {r.ticket: r for r in runs}
    assert sorted(by_ticket) == sorted(t for t, _, _ in tickets), "a run was lost or doubled"
    outcomes: Counter[str] = Counter()
    for ticket, _domain, kind in tickets:
        run = by_ticket[ticket]
        outcomes[f"{kind}:{run.status}:{run.outcome}"] += 1
        if kind == "pending":
            assert run.status is RunStatus.SUCCEEDED, (ticket, run.status, run.error)
            assert run.outcome in ("refunded", "already_refunded"), (ticket, run.outcome)
        elif kind == "expired":
            assert (run.status, run.outcome) == (RunStatus.DENIED, "refund_window_expired")
        else:
            assert run.status is RunStatus.NEEDS_INPUT, (ticket, run.status, run.error)
    orders = {consoles.order(domain)["order_id"] for _, domain, kind in tickets
              if kind == "pending"}
    for order in orders:
        exactly_once(consoles, order, access=False)
    print(f"\n{len(runs)} runs: {dict(outcomes)}")
