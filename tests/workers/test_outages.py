"""Outages past one machine: the store cut mid-run, the broker's queue lost, the broker down.

A worker process and a beat (each its own "machine": own home, only the URLs shared) work
tickets for orders not yet issued, against a sandbox answering each page slowly, as a real
console does. Each test breaks one network service, lets it come back, and then asks what a
customer would: was every order refunded, and only once (the refund POSTs the sandbox saw), is
any run left ``running``, and how long did the runs take to recover. The times are printed
(``pytest -s``) and bounded by what ``docs/operations.md`` promises.

CERTRUNNER_OUTAGE_SECONDS sets how long the store is cut (20 by default: the cut is idle time).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from runner.app.context import AppContext as App
from runner.app.handoff import enqueue
from runner.app.queue import use_broker
from runner.app.runs import get as run_status
from runner.app.tickets import prepare
from runner.store.runs import Run, RunStatus, RunStore
from tests.e2e.conftest import SandboxClient
from tests.waiting import wait_until
from tests.workers.cluster import Cluster
from tests.workers.proxy import Proxy

pytestmark = [pytest.mark.queue, pytest.mark.long]
OUTAGE = timedelta(seconds=float(os.environ.get("CERTRUNNER_OUTAGE_SECONDS", "20")))
REQUEUE = timedelta(seconds=3)  # the claim a queued run keeps before the sweep sends it again
PAGE_LATENCY_MS = 700  # what the console answered each page in


def _orders(consoles: SandboxClient, prefix: str, count: int) -> list[tuple[str, str]]:
    """(ticket, domain) for ``count`` orders bought two days ago and not yet issued: each is
    refunded straight away, with nobody in the loop."""
    bought = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    made = []
    for n in range(count):
        domain = f"{prefix}{n}.example"
        consoles.add_order(domain=domain, purchased_at=bought, state="pending_setup")
        made.append((f"T-{prefix}{n}", domain))
    return made


def _client(cluster: Cluster, store_url: str, broker_url: str | None = None) -> App:
    """The enqueuing side: the store (directly, never through the test's proxy) and a broker."""
    app = App()
    app._config = replace(app.config, store_url=store_url)
    use_broker(broker_url or cluster.broker_url, queue=cluster.queue,
               visibility_timeout=cluster.visibility_timeout, requeue_after=REQUEUE)
    return app


def _finished(store: RunStore, tickets: list[tuple[str, str]]) -> list[Run] | None:
    runs = [store.find_runs_by_ticket(ticket) for ticket, _ in tickets]
    if all(len(r) == 1 and r[0].status in (RunStatus.SUCCEEDED, RunStatus.FAILED,
                                           RunStatus.NEEDS_INPUT) for r in runs):
        return [r[0] for r in runs]
    return None


def _by_status(store: RunStore) -> str:
    return str({r.ticket: (str(r.status), r.current_step, r.lease_owner)
                for r in store.list_runs(limit=100)})


def _refunded_once(consoles: SandboxClient, tickets: list[tuple[str, str]],
                   runs: list[Run]) -> None:
    for (ticket, domain), run in zip(tickets, runs, strict=True):
        assert (run.status, run.outcome) == (RunStatus.SUCCEEDED, "refunded"), (
            ticket, run.status, run.outcome, run.error)
        order = consoles.order(domain)["order_id"]
        assert consoles.posts(order)["refund"] == 1, (ticket, consoles.posts(order))
        assert len(consoles.refunds(order)) == 1, (ticket, consoles.refunds(order))


def test_store_cut_mid_run(cluster: Cluster, consoles: SandboxClient, store_url: str) -> None:
    """Six runs on a worker of three threads; the store is cut while it holds some, for
    OUTAGE, then healed: every run finishes within two minutes of the heal, each order
    refunded once, none left running."""
    consoles.faults(latency_ms=PAGE_LATENCY_MS)
    tickets = _orders(consoles, "cut", 6)
    proxy = Proxy(store_url)
    cluster.store_url = proxy.url  # the workers reach the store through the proxy only
    try:
        app = _client(cluster, store_url)
        cluster.start_beat()
        cluster.start_worker("worker", concurrency=3)
        for ticket, domain in tickets:
            assert enqueue(app, prepare("cancel_refund", ticket, {"domain": domain})).queued
        store = app.store
        wait_until(lambda: len([r for r in store.list_runs(status="running")
                                if r.lease_owner and not r.lease_owner.startswith("queued:")
                                and r.current_step]) >= 2,
                   timedelta(minutes=3), "the worker driving runs",
                   lambda: cluster.log("worker")[-3000:])
        mid_run = _by_status(store)
        proxy.cut()
        cut_at = time.monotonic()
        wait_until(lambda: "store_unavailable" in cluster.log("worker"),
                   OUTAGE + timedelta(seconds=30), "a drive meeting the outage",
                   lambda: cluster.log("worker")[-3000:])
        # The outage's length is what the test is given, not a state to wait for.
        threading.Event().wait(max(0.0, OUTAGE.total_seconds() - (time.monotonic() - cut_at)))
        proxy.heal()
        healed = time.monotonic()
        runs = wait_until(lambda: _finished(store, tickets), timedelta(minutes=2),
                          "every run finished after the heal", lambda: _by_status(store))
        recovered = time.monotonic() - healed
    finally:
        proxy.close()
    _refunded_once(consoles, tickets, runs)
    assert not store.list_runs(status="running"), _by_status(store)
    print(f"\nstore cut {OUTAGE.total_seconds():.0f} s with runs mid-flight ({mid_run}); "
          f"all 6 refunded {recovered:.1f} s after the heal")


def test_broker_down_at_enqueue_and_queue_lost(cluster: Cluster, consoles: SandboxClient,
                                               store_url: str) -> None:
    """Tickets enqueued while the broker is unreachable, and tickets whose queue the broker
    then lost (its keys deleted, as a Redis restart without persistence does), are all found
    by the sweep within REQUEUE and a sweep of the workers starting, whatever the visibility
    timeout (here ten minutes); `status` says "queued, waiting for a worker" meanwhile."""
    import redis

    cluster.visibility_timeout, cluster.requeue_after = timedelta(minutes=10), REQUEUE
    unsent = _orders(consoles, "down", 2)
    lost = _orders(consoles, "lost", 2)
    with socket_closed() as closed_port:
        app = _client(cluster, store_url, f"redis://127.0.0.1:{closed_port}/0")
        for ticket, domain in unsent:
            done = enqueue(app, prepare("cancel_refund", ticket, {"domain": domain}))
            assert done.queued and done.result.status == "queued"
            assert done.result.next_action is not None
            assert "broker could not be reached" in done.result.next_action.summary
            assert not app.store.lease_alive(done.result.run_id)  # the sweep may take it
    app = _client(cluster, store_url)
    run_ids = [app.store.find_runs_by_ticket(ticket)[0].run_id for ticket, _ in unsent]
    for ticket, domain in lost:
        done = enqueue(app, prepare("cancel_refund", ticket, {"domain": domain}))
        assert done.queued
        run_ids.append(done.result.run_id)
    broker = redis.Redis.from_url(cluster.broker_url)
    assert broker.llen(cluster.queue) == len(lost)
    broker.delete(*broker.keys(f"{cluster.queue}*"))
    for run_id in run_ids:
        shown = run_status(app, run_id).to_dict()
        assert shown["status"] == "queued", shown
        assert shown["next_action"]["summary"].startswith("queued, waiting for a worker")
    started = time.monotonic()
    cluster.start_beat()
    cluster.start_worker("worker", concurrency=2)
    runs = wait_until(lambda: _finished(app.store, unsent + lost), timedelta(minutes=2),
                      "every queued run found again", lambda: _by_status(app.store))
    recovered = time.monotonic() - started
    _refunded_once(consoles, unsent + lost, runs)
    assert not app.store.list_runs(status="running")
    print(f"\nbroker down at enqueue (2 runs) and queue lost (2 runs): all refunded "
          f"{recovered:.1f} s after the worker and beat started")


class socket_closed:
    """A loopback port nothing listens on (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    def __exit__(self, *_exc: object) -> None:
        return None
