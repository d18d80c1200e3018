"""A worker's own metrics port, after a real pending and a real issued ticket off the queue."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from runner.app.context import AppContext as App
from runner.app.handoff import enqueue
from runner.app.queue import use_broker
from runner.app.tickets import prepare
from runner.store.runs import RunStatus
from tests.e2e.conftest import SandboxClient
from tests.e2e.metrics import check_pending_and_issued, parse, value
from tests.waiting import wait_until
from tests.workers.cluster import Cluster

pytestmark = pytest.mark.queue


def _port(cluster: Cluster, name: str) -> int | None:
    found = re.search(r'\{[^\n]*"metrics_listening"[^\n]*\}', cluster.log(name))
    return int(json.loads(found.group(0))["port"]) if found else None


def test_a_worker_exposes_metrics_on_a_port_of_its_own(cluster: Cluster,
                                                       consoles: SandboxClient) -> None:
    recent = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    consoles.add_order(domain="wm-pending.example", purchased_at=recent, state="pending_setup")
    consoles.add_order(domain="wm-issued.example", purchased_at=recent, state="issued")
    app = App()
    app._config = replace(app.config, store_url=cluster.store_url)
    use_broker(cluster.broker_url, queue=cluster.queue,
               visibility_timeout=cluster.visibility_timeout)
    cluster.start_worker("worker", 2, "--metrics-port", "0")
    port = wait_until(lambda: _port(cluster, "worker"), timedelta(minutes=2),
                      "the worker's metrics port", lambda: cluster.log("worker")[-2000:])
    before = time.monotonic()
    for ticket, domain in (("T-W1", "wm-pending.example"), ("T-W2", "wm-issued.example")):
        assert enqueue(app, prepare("cancel_refund", ticket, {"domain": domain})).queued
    wanted = {RunStatus.SUCCEEDED, RunStatus.NEEDS_INPUT}
    wait_until(lambda: {r.status for r in app.store.list_runs() if not r.lease_owner} == wanted,
               timedelta(minutes=4), "both runs settled", lambda: cluster.log("worker")[-2000:])
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)
    assert answer.status_code == 200
    samples = parse(answer.text)
    check_pending_and_issued(samples, person_wait_at_most=time.monotonic() - before + 1)
    assert value(samples, "certrunner_workers") == 2
    app.close()
