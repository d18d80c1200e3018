"""Nothing is clicked twice: a run killed after its refund click, a click the console refused,
and two triggers of one ticket at once. Each `run.py` is a real process; the kill is SIGKILL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.engine.store import LedgerStatus, RunStore
from sandbox import faults as sandbox_faults
from sandbox.server import SandboxServer
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient


@pytest.fixture
def cli(sandbox: SandboxClient, sandbox_server: SandboxServer, tmp_path: Path) -> Cli:
    return Cli(sandbox.url, Path(sandbox_server.db_path), tmp_path)


@pytest.fixture
def held_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Make the sandbox's `hold` fault signal when a POST was done and its answer is held."""
    holding, release = threading.Event(), threading.Event()

    def hold(faults: sandbox_faults.Faults, method: str) -> None:
        if method == "POST" and faults.write_fault == "hold":
            holding.set()
            release.wait(timeout=60)

    monkeypatch.setattr(sandbox_faults, "hold_answer", hold)
    yield holding
    release.set()


def test_run_killed_after_the_refund_click_is_resumed_without_a_second_refund(
        cli: Cli, sandbox: SandboxClient, held_answers: threading.Event) -> None:
    order_id = sandbox.order("pending.example")["order_id"]
    sandbox.faults(write_fault="hold")
    process = cli.start("run", "cancel_refund", "--ticket", "T-700", "--domain",
                        "pending.example", "--json")
    try:
        assert held_answers.wait(timeout=60), "the refund POST never reached the console"
        assert len(sandbox.refunds(order_id)) == 1
    finally:
        process.kill()
        process.communicate(timeout=30)
    sandbox.faults(write_fault="none")

    with RunStore(cli.home / "runs.db") as store:
        (run,) = store.find_runs_by_ticket("T-700")
        assert run.status == "running"  # killed: nobody set another status
        (entry,) = store.ledger_for_order(order_id)
        assert entry.status is LedgerStatus.ATTEMPTING

    cron = cli("resume", "--due", "--json")  # cron picks up what a dead process left
    assert cron.code == 0, cron.stderr
    (resumed,) = cron.data["resumed"]
    assert resumed["run_id"] == run.run_id
    assert (resumed["status"], resumed["outcome"]) == ("succeeded", "refunded")
    refunds = sandbox.refunds(order_id)
    assert len(refunds) == 1
    assert resumed["outputs"]["refund_now"]["refund_ref"] == refunds[0]["ref"]
    with RunStore(cli.home / "runs.db") as store:
        (entry,) = store.ledger_for_order(order_id)
        assert entry.status is LedgerStatus.CONFIRMED
        assert entry.evidence["source"] == "console_after_crash"


def test_refused_click_fails_resumably_and_a_person_confirms_the_retry(
        cli: Cli, sandbox: SandboxClient) -> None:
    order_id = sandbox.order("pending.example")["order_id"]
    sandbox.faults(write_fault="error")
    failed = cli.run("cancel_refund", "T-701", "pending.example")
    assert failed.code == 1, failed.stderr
    assert failed.data["error"]["kind"] == "console"
    assert failed.data["error"]["step"] == "refund_now"
    assert sandbox.refunds(order_id) == []
    sandbox.faults(write_fault="none")

    unsure = cli.resume(failed.data["run_id"])
    assert unsure.code == 3, unsure.stderr
    assert unsure.data["status"] == "needs_input"
    assert unsure.data["next_action"]["type"] == "confirm_side_effect"
    assert unsure.data["next_action"]["input"] == "confirm_refund_now"
    assert sandbox.refunds(order_id) == []

    bad = cli.resume(failed.data["run_id"], "confirm_refund_now=maybe")
    assert bad.data["status"] == "needs_input"
    assert sandbox.refunds(order_id) == []

    retried = cli.resume(failed.data["run_id"], "confirm_refund_now=retry")
    assert retried.code == 0, retried.stderr
    assert retried.data["outcome"] == "refunded"
    assert len(sandbox.refunds(order_id)) == 1


def test_two_triggers_of_one_ticket_at_once_make_one_run_and_one_refund(
        cli: Cli, sandbox: SandboxClient) -> None:
    order_id = sandbox.order("pending.example")["order_id"]
    args = ("run", "cancel_refund", "--ticket", "T-702", "--domain", "pending.example", "--json")
    first, second = cli.start(*args), cli.start(*args)
    outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    answers = [cli.parse(args, out) for out in outputs]
    assert answers[0]["run_id"] == answers[1]["run_id"]
    assert sorted(a["existing"] for a in answers) == [False, True]
    assert len(sandbox.refunds(order_id)) == 1
    final = cli("status", "T-702", "--json")
    assert (final.data["status"], final.data["outcome"]) == ("succeeded", "refunded")


def test_two_tickets_for_one_order_refund_it_once(cli: Cli, sandbox: SandboxClient) -> None:
    """Whichever ticket comes second finds the refund (in the search or right before its click)."""
    order_id = sandbox.order("pending.example")["order_id"]
    runs = [cli.start("run", "cancel_refund", "--ticket", ticket, "--domain", "pending.example",
                      "--json") for ticket in ("T-703", "T-704")]
    answers = [cli.parse(("run", "--json"), p.communicate(timeout=120)[0]) for p in runs]
    assert sorted(a["outcome"] for a in answers) == ["already_refunded", "refunded"]
    assert all(a["status"] == "succeeded" for a in answers)
    assert len(sandbox.refunds(order_id)) == 1
