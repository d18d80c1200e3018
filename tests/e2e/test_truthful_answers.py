"""What the runner says, end to end: a drift before the refund click leaves nothing for a person
to confirm, and an abandoned run's customer text promises nothing. Real processes, real Chromium,
the real sandbox; refund POSTs counted at the sandbox."""

from __future__ import annotations

from typing import Any

from runner.engine import texts
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.unit.customer_truth import problems

PENDING = "pending.example"


def _show(cli: Cli, run_id: str) -> dict[str, Any]:
    shown = cli("runs", "show", run_id, "--json")
    assert shown.code == 0, shown.stderr
    return dict(shown.data)


def test_a_drift_failed_pending_order_refunds_on_resume_after_the_fix_with_no_question(
        cli: Cli, sandbox: SandboxClient) -> None:
    order_id = sandbox.order(PENDING)["order_id"]
    cli.env["CERTRUNNER_CONFIG"] = str(cli.config_with("fast.yaml", timeout_ms=2000))
    sandbox.faults(layout="breaking")  # the Refund button is renamed "Issue credit"
    failed = cli.run("cancel_refund", "T-D1", PENDING)

    assert failed.code == 1, failed.stderr
    error = failed.data["error"]
    assert (error["kind"], error["code"], error["step"]) == ("drift", "locator_missing",
                                                             "refund_now")
    assert error["locator"] == "refund_button"
    assert failed.data["next_action"]["type"] == "alert_maintainers"
    assert problems(failed.data["customer_message"], "failed", "alert_maintainers") == []
    shown = _show(cli, failed.data["run_id"])
    assert shown["ledger"] == []  # no intent: the button was never found, nothing clicked
    assert shown["events"][-1]["data"]["not_clicked"] is True
    assert sandbox.posts(order_id)["refund"] == 0

    sandbox.faults(layout="normal")  # the page objects (or the page) fixed
    resumed = cli.resume(failed.data["run_id"])
    assert resumed.code == 0, resumed.stderr
    assert (resumed.data["status"], resumed.data["outcome"]) == ("succeeded", "refunded")
    assert len(sandbox.refunds(order_id)) == 1 and sandbox.posts(order_id)["refund"] == 1
    kinds = [e["status"] for e in _show(cli, failed.data["run_id"])["events"]]
    assert "paused" not in kinds  # nobody was asked anything


def test_an_abandoned_runs_customer_text_promises_nothing(cli: Cli) -> None:
    asked = cli.run("cancel_refund", "T-A1", "fresh-issued.example")
    assert asked.data["status"] == "needs_input", asked.stderr
    assert "working on your request" in asked.data["customer_message"]

    closed = cli("runs", "abandon", asked.data["run_id"], "--reason", "customer withdrew",
                 "--json")
    assert closed.code == 0, closed.stderr
    expected = texts.customer_abandoned("fresh-issued.example")
    assert (closed.data["status"], closed.data["customer_message"]) == ("abandoned", expected)
    assert problems(expected, "abandoned", None) == []
    again = cli("status", asked.data["run_id"], "--json")
    assert again.data["customer_message"] == expected
    assert "working on" not in again.data["customer_message"]
