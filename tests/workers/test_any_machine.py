"""Issue 18's promises past one machine, through the queue door and a second state home.

The queue door prepares a ticket exactly as `run` does (a messy domain is the order's domain, a
ticket with an escape character is refused with exit 2) and answers by the contract; a worker in
one home takes an issued ticket to the captcha and a person at another "machine", sharing only
the store and broker URLs, reads the captcha from the store and answers it: the answer is
checked against the same GeoTrust session, so it is accepted and the run waits for the customer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runner.store.runs import RunStore
from tests import contract
from tests.e2e.conftest import SandboxClient
from tests.waiting import wait_until
from tests.workers.cluster import ROOT, Cluster

pytestmark = [pytest.mark.queue]


def _cli(cluster: Cluster, machine: str, *args: str) -> tuple[int, Any]:
    """One command on ``machine`` (its own home; the cluster's URLs), under --json."""
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), *args, "--json"],
                          cwd=cluster.root / machine, env=cluster.env(machine),
                          capture_output=True, text=True, timeout=300)
    data = contract.parse(args, done.stdout) if done.stdout.strip() else None
    return done.returncode, data


def _status(store: RunStore, run_id: str) -> str:
    run = store.get_run(run_id)
    return str(run.status) if run else ""


def test_the_queue_door_prepares_tickets_like_run(cluster: Cluster,
                                                  consoles: SandboxClient) -> None:
    recent = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    order = consoles.add_order(domain="q-messy-1.example", purchased_at=recent,
                               state="pending_setup")
    code, refused = _cli(cluster, "desk", "enqueue", "cancel_refund", "--ticket", "QB-1\x1b[31m",
                         "--domain", "q-messy-1.example")
    assert code == 2 and refused["error"]["code"] == "control_characters", refused
    code, queued = _cli(cluster, "desk", "enqueue", "cancel_refund", "--ticket", "Q-1",
                        "--domain", "  Q-Messy-1.Example. ")
    assert code == 0 and queued["status"] == "queued" and queued["queued"] is True, queued
    assert queued["next_action"]["command"][:2] == ["certrunner", "status"]  # an argv
    assert "queued, waiting for a worker" in queued["next_action"]["summary"]
    cluster.start_worker("worker-a", concurrency=1)
    with RunStore(cluster.store_url) as store:
        wait_until(lambda: _status(store, queued["run_id"]) == "succeeded",
                   timedelta(minutes=4), "the queued run refunded",
                   lambda: cluster.log("worker-a")[-2000:])
        run = store.get_run(queued["run_id"])
    assert run is not None and run.outcome == "refunded" and run.inputs["domain"] == (
        "q-messy-1.example")
    assert len(consoles.refunds(order["order_id"])) == 1


def test_a_person_answers_on_another_machine(cluster: Cluster, consoles: SandboxClient) -> None:
    recent = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    consoles.add_order(domain="far-issued.example", purchased_at=recent, state="issued")
    cluster.start_worker("worker-a", concurrency=1)
    code, queued = _cli(cluster, "desk", "enqueue", "cancel_refund", "--ticket", "Q-2",
                        "--domain", "far-issued.example")
    assert code == 0, queued
    run_id = queued["run_id"]
    with RunStore(cluster.store_url) as store:
        wait_until(lambda: _status(store, run_id) == "needs_input", timedelta(minutes=4),
                   "the worker reached the captcha", lambda: cluster.log("worker-a")[-2000:])
    # The person's machine shares only the URLs: without the worker's disk (gone here), the
    # captcha and the GeoTrust session it was read in come from the store.
    shutil.rmtree(cluster.root / "worker-a" / "artifacts" / run_id)
    code, paused = _cli(cluster, "desk", "status", run_id)
    assert code == 3 and paused["status"] == "needs_input", paused
    image = paused["next_action"]["artifact"]
    assert image.startswith(str(cluster.root / "desk")), image  # written on this machine
    answer = consoles.solve_captcha(open(image, "rb").read())  # noqa: SIM115 - read at once
    code, waiting = _cli(cluster, "desk", "resume", run_id, "--input",
                         f"image_number={answer}", "--as", "pat")
    assert code == 3 and waiting["status"] == "waiting", json.dumps(waiting)[:2000]
    code, shown = _cli(cluster, "desk", "runs", "show", run_id)
    assert [(d["actor"], d["via"], d["action"]) for d in shown["decisions"]] == [
        ("pat", "cli", "answer")]
