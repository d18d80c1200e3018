"""The CLI contract, end to end: every seeded order, every branch, pause and resume across
processes, a doubled trigger. Each `run.py` call is its own process against the sandbox."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from runner.browser.session import RunSession
from runner.cli.demo_customer import cancel_certificate
from runner.config import DEFAULT_CONFIG, Config, load_config
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.once import console_saw, exactly_once, untouched
from tests.leaks import Secret, files_under, scan


def _customer_cancels(make_session: Callable[[Config], RunSession], config: Config,
                      email: str) -> None:
    """Play the customer: open the GeoTrust mail's only link, press Cancel Certificate."""
    cancel_certificate(make_session(config), email)


def test_pending_order_is_refunded_straight_away_and_once(cli: Cli, sandbox: SandboxClient) -> None:
    answer = cli.run("cancel_refund", "T-100", "pending.example")
    assert answer.code == 0, answer.stderr
    assert answer.data["status"] == "succeeded"
    assert answer.data["outcome"] == "refunded"
    order = sandbox.order("pending.example")
    assert order["state"] == "refunded"
    exactly_once(sandbox, order["order_id"], access=False)
    assert answer.data["outputs"]["refund_now"]["refund_ref"] in answer.data["customer_message"]
    assert [s["id"] for s in answer.data["steps"] if s["status"] == "done"] == [
        "order", "window", "refund_now"]

    again = cli.run("cancel_refund", "T-100", "pending.example")
    assert again.code == 0
    assert again.data["run_id"] == answer.data["run_id"]
    assert again.data["existing"] is True
    exactly_once(sandbox, order["order_id"], access=False)


def test_old_order_is_denied_with_the_policy_and_an_offer(cli: Cli, sandbox: SandboxClient) -> None:
    answer = cli.run("cancel_refund", "T-101", "old-issued.example")
    assert answer.code == 0, answer.stderr
    assert answer.data["status"] == "denied"
    assert answer.data["outcome"] == "refund_window_expired"
    assert "30 days" in answer.data["customer_message"]
    assert "cancel" in answer.data["customer_message"]
    assert answer.data["next_action"]["flow"] == "cancel_only"
    assert answer.data["next_action"]["command"] == [
        "certrunner", "run", "cancel_only", "--ticket", "T-101", "--domain", "old-issued.example",
        "--json"]
    assert "symantec" not in " ".join(s["id"] for s in answer.data["steps"])
    assert sandbox.order("old-issued.example")["state"] == "issued"
    untouched(sandbox, sandbox.order("old-issued.example")["order_id"])


@pytest.mark.parametrize("state", ["pending_setup", "cancelled"])
@pytest.mark.parametrize("age", [timedelta(days=30, hours=1), timedelta(days=45)],
                         ids=["30d1h", "45d"])
def test_an_order_to_refund_at_once_but_past_the_window_is_denied_without_a_click(
        cli: Cli, sandbox: SandboxClient, state: str, age: timedelta) -> None:
    """The refund-now branch (not yet issued, or already cancelled) behind the gate: past 30
    days the run is denied, and no refund POST reaches the console."""
    purchased = (sandbox.clock.now() - age).isoformat()
    added = cli("sandbox", "add-order", "--domain", "late.example", "--purchased-at", purchased,
                "--state", state)
    assert added.code == 0, added.stderr
    order_id = sandbox.order("late.example")["order_id"]
    answer = cli.run("cancel_refund", "T-105", "late.example")
    assert answer.code == 0, answer.stderr
    assert (answer.data["status"], answer.data["outcome"]) == ("denied", "refund_window_expired")
    assert "30 days" in answer.data["customer_message"]
    assert [(s["id"], s["status"]) for s in answer.data["steps"]] == [
        ("order", "done"), ("already_refunded", "skipped"), ("window", "denied")]
    assert sandbox.order("late.example")["state"] == state
    assert sandbox.refunds(order_id) == []
    untouched(sandbox, order_id)


@pytest.mark.parametrize(("domain", "outcome"), [
    ("refunded.example", "already_refunded"),
    ("cancelled.example", "refunded"),
])
def test_refunded_and_cancelled_orders(cli: Cli, sandbox: SandboxClient, domain: str,
                                       outcome: str) -> None:
    answer = cli.run("cancel_refund", f"T-{domain}", domain)
    assert answer.code == 0, answer.stderr
    assert (answer.data["status"], answer.data["outcome"]) == ("succeeded", outcome)
    order = sandbox.order(domain)
    assert order["state"] == "refunded"
    assert len(sandbox.refunds(order["order_id"])) == 1  # refunded.example's is the seed's
    console_saw(sandbox, order["order_id"], refund=0 if outcome == "already_refunded" else 1)


def test_similar_domains_pick_the_exact_one(cli: Cli, sandbox: SandboxClient) -> None:
    answer = cli.run("refund_check", "T-102", "shop.example")
    assert answer.code == 0, answer.stderr
    assert answer.data["outputs"]["order"]["order_id"] == sandbox.order("shop.example")["order_id"]
    assert answer.data["outcome"] == "refundable"


def test_unknown_domain_is_an_input_error_naming_ticket_and_step(cli: Cli) -> None:
    answer = cli.run("cancel_refund", "T-103", "nobody.example")
    assert answer.code == 2
    assert answer.data["status"] == "failed"
    assert answer.data["error"]["kind"] == "input"
    assert answer.data["error"]["code"] == "domain_not_found"
    assert answer.data["error"]["step"] == "order"
    assert "nobody.example" in answer.data["error"]["message"]
    assert answer.data["next_action"]["type"] == "fix_ticket"
    assert answer.data["next_action"]["command"][-2:] == ["domain=<CORRECTED_DOMAIN>", "--json"]
    assert "nobody.example" in answer.data["customer_message"]
    assert "domain_not_found" not in answer.data["customer_message"]

    same = cli.run("cancel_refund", "T-103", "pending.example")  # same ticket: the same run
    assert same.data["run_id"] == answer.data["run_id"] and same.data["existing"] is True
    assert same.data["next_action"]["type"] == "existing_run_other_inputs"
    assert ("for domain=nobody.example, not domain=pending.example"
            in same.data["next_action"]["summary"])
    assert same.data["status"] == "failed"
    fixed = cli.resume(answer.data["run_id"], "domain=pending.example")
    assert fixed.code == 0, fixed.stderr
    assert (fixed.data["status"], fixed.data["outcome"]) == ("succeeded", "refunded")


def test_refund_check_changes_nothing(cli: Cli, sandbox: SandboxClient) -> None:
    before = sandbox.order("pending.example")
    answer = cli.run("refund_check", "T-104", "pending.example")
    assert answer.code == 0, answer.stderr
    assert answer.data["outcome"] == "refundable"
    assert "until" in answer.data["customer_message"]
    assert sandbox.order("pending.example") == before


def test_issued_order_through_captcha_wait_and_refund_across_processes(
        cli_process: Cli, sandbox: SandboxClient, config: Config,
        make_session: Callable[[Config], RunSession]) -> None:
    """Each command a process of its own (the process smoke of run, resume and status with a
    browser): what a pause keeps must be enough for a resume in a new process."""
    cli = cli_process
    first = cli.run("cancel_refund", "T-200", "fresh-issued.example")
    assert first.code == 3, first.stderr
    assert first.data["status"] == "needs_input"
    action = first.data["next_action"]
    assert action["input"] == "image_number"
    image = Path(action["artifact"])
    assert image.exists() and image in [Path(a) for a in first.data["artifacts"]]
    run_id = first.data["run_id"]
    assert action["command"] == ["certrunner", "resume", run_id, "--input",
                                 "image_number=<VALUE>", "--json"]
    assert run_id not in first.data["customer_message"]

    solved = cli("sandbox", "solve-captcha", str(image))
    assert solved.code == 0, solved.stderr
    second = cli("resume", run_id, "--input", f"image_number={solved.stdout.strip()}", "--json",
                 "--log-level", "info")
    assert second.code == 3, second.stderr
    assert second.data["status"] == "waiting"
    assert second.data["next_action"]["deadline"] <= second.data["outputs"]["window"][
        "window_ends_at"]
    assert "Cancel Certificate" in second.data["customer_message"]
    assert "admin@fresh-issued.example" in second.data["customer_message"]
    answer = Secret("captcha answer", solved.stdout.strip())
    assert scan([answer], [cli.home / "runs.db"], {"stderr": second.stderr}) == []
    events = [json.loads(line) for line in second.stderr.splitlines()]
    assert {(e["step"], e["status"]) for e in events} >= {("image_number", "done"),
                                                         ("access", "done"),
                                                         ("cancelled", "paused")}
    assert all(e["run_id"] == run_id and e["ticket"] == "T-200" for e in events)

    status = cli("status", "T-200", "--json")
    assert status.code == 3 and status.data["status"] == "waiting"
    still = cli(*second.data["next_action"]["command"][1:])  # the command, run as it is
    assert still.data["status"] == "waiting"

    _customer_cancels(make_session, config, "admin@fresh-issued.example")
    done = cli.resume(run_id)
    assert done.code == 0, done.stderr
    assert (done.data["status"], done.data["outcome"]) == ("succeeded", "refunded")
    order = sandbox.order("fresh-issued.example")
    assert order["state"] == "refunded"
    exactly_once(sandbox, order["order_id"], access=True)
    assert cli.resume(run_id).data["status"] == "succeeded"
    exactly_once(sandbox, order["order_id"], access=True)


def test_wrong_captcha_asks_again_with_a_new_image(cli: Cli, sandbox: SandboxClient) -> None:
    first = cli.run("cancel_refund", "T-201", "shop.example")
    assert first.data["status"] == "needs_input"
    second = cli.resume(first.data["run_id"], "image_number=00000")
    assert second.code == 3, second.stderr
    assert second.data["status"] == "needs_input"
    assert second.data["next_action"]["input"] == "image_number"
    assert second.data["next_action"]["previous_answer"] == "rejected"
    assert second.data["next_action"]["tries_left"] == 2
    assert second.data["next_action"]["artifact"] != first.data["next_action"]["artifact"]
    assert any(s["id"] == "access" and s["status"] == "retry" for s in second.data["steps"])
    untouched(sandbox, sandbox.order("shop.example")["order_id"])  # GeoTrust refused: no request


def test_window_closing_during_the_wait_denies_the_refund(
        cli: Cli, sandbox: SandboxClient, config: Config,
        make_session: Callable[[Config], RunSession]) -> None:
    first = cli.run("cancel_refund", "T-202", "fresh-issued.example")
    answer = cli("sandbox", "solve-captcha", first.data["next_action"]["artifact"]).stdout.strip()
    waiting = cli.resume(first.data["run_id"], f"image_number={answer}")
    assert waiting.data["status"] == "waiting"
    _customer_cancels(make_session, config, "admin@fresh-issued.example")
    late = cli.resume(first.data["run_id"], now="+26d")
    assert late.code == 0, late.stderr
    assert (late.data["status"], late.data["outcome"]) == ("denied", "refund_window_expired")
    assert "30 days" in late.data["customer_message"]
    order = sandbox.order("fresh-issued.example")
    assert order["state"] == "cancelled"
    console_saw(sandbox, order["order_id"], access=1)  # mailed once, never refunded


def test_customer_who_never_cancels_fails_at_the_deadline(cli: Cli, sandbox: SandboxClient) -> None:
    first = cli.run("cancel_refund", "T-203", "fresh-issued.example")
    answer = cli("sandbox", "solve-captcha", first.data["next_action"]["artifact"]).stdout.strip()
    cli.resume(first.data["run_id"], f"image_number={answer}")
    due = cli("resume", "--due", "--json", now="+26d")
    assert due.code == 1, due.stderr
    (late,) = due.data["resumed"]
    assert late["status"] == "failed"
    assert late["error"]["code"] == "customer_did_not_cancel"
    assert late["error"]["kind"] == "business"
    assert late["customer_message"].startswith(
        "We did not see your certificate for fresh-issued.example cancelled in your GeoTrust")


def test_cancel_only_pays_nothing(cli: Cli, sandbox: SandboxClient, config: Config,
                                  make_session: Callable[[Config], RunSession]) -> None:
    first = cli.run("cancel_only", "T-300", "old-issued.example")
    assert first.data["status"] == "needs_input", first.stderr
    answer = cli("sandbox", "solve-captcha", first.data["next_action"]["artifact"]).stdout.strip()
    waiting = cli.resume(first.data["run_id"], f"image_number={answer}")
    assert waiting.data["status"] == "waiting"
    _customer_cancels(make_session, config, "admin@old-issued.example")
    done = cli.resume(first.data["run_id"])
    assert (done.data["status"], done.data["outcome"]) == ("succeeded", "cancelled")
    order = sandbox.order("old-issued.example")
    assert order["state"] == "cancelled"
    console_saw(sandbox, order["order_id"], access=1)  # mailed once, never refunded


def test_dry_run_stops_before_the_refund(cli: Cli, sandbox: SandboxClient) -> None:
    answer = cli.run("cancel_refund", "T-400", "pending.example", "--dry-run")
    assert answer.code == 0, answer.stderr
    assert answer.data["outcome"] == "dry_run"
    assert answer.data["next_action"]["action"] == "pm.refund"
    assert sandbox.order("pending.example")["state"] == "pending_setup"
    untouched(sandbox, sandbox.order("pending.example")["order_id"])
    assert cli("status", "T-400", "--json").code == 2


def test_console_down_fails_resumably_then_succeeds(cli: Cli, sandbox: SandboxClient) -> None:
    sandbox.faults(down="pm")
    failed = cli.run("cancel_refund", "T-500", "pending.example")
    assert failed.code == 1, failed.stderr
    assert failed.data["error"]["kind"] == "console"
    assert failed.data["error"]["step"] == "order"
    assert failed.data["customer_message"].startswith("The certificate provider's systems")
    sandbox.faults(down="")
    resumed = cli.resume(failed.data["run_id"])
    assert resumed.code == 0, resumed.stderr
    assert resumed.data["outcome"] == "refunded"
    exactly_once(sandbox, sandbox.order("pending.example")["order_id"], access=False)


def test_human_output_has_a_line_per_step(cli: Cli) -> None:
    answer = cli("run", "refund_check", "--ticket", "T-600", "--domain", "pending.example")
    assert answer.code == 0, answer.stderr
    assert "[1/4] order" in answer.stdout
    assert "status: succeeded" in answer.stdout


def test_transient_console_errors_on_reads_are_retried(cli: Cli, sandbox: SandboxClient) -> None:
    sandbox.faults(fail_next=2)  # read_retries is 2: the third attempt gets through
    answer = cli.run("refund_check", "T-700", "pending.example")
    assert answer.code == 0, answer.stderr
    assert answer.data["outcome"] == "refundable"
    retries = [json.loads(line) for line in answer.stderr.splitlines() if '"retry"' in line]
    assert [r["attempt"] for r in retries] == [1, 2]


def test_a_console_that_keeps_failing_is_a_console_error(cli: Cli, sandbox: SandboxClient) -> None:
    sandbox.faults(fail_next=3)
    answer = cli.run("refund_check", "T-701", "pending.example")
    assert answer.code == 1, answer.stderr
    assert answer.data["error"]["kind"] == "console"
    assert answer.data["error"]["code"] == "console_server_error"
    assert answer.data["next_action"]["type"] == "retry_later"
    assert any(path.endswith(".png") for path in answer.data["artifacts"])


def test_a_changed_vendor_page_is_drift_with_screenshot_and_evidence_but_no_password(
        cli: Cli, sandbox: SandboxClient, tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["browser"]["timeout_ms"] = 2000  # a missing locator should fail fast
    config = tmp_path / "fast.yaml"
    config.write_text(yaml.safe_dump(raw))
    sandbox.faults(layout="breaking")
    answer = cli.run("cancel_refund", "T-800", "fresh-issued.example", "--config", str(config))
    assert answer.code == 1, answer.stderr
    error = answer.data["error"]
    assert (error["kind"], error["code"], error["step"]) == ("drift", "locator_missing", "info")
    assert "quick_search_link" in error["message"] and error["page"].startswith("symantec.")
    assert answer.data["next_action"]["type"] == "alert_maintainers"
    shots = [p for p in answer.data["artifacts"] if p.endswith(".png")]
    (evidence,) = [p for p in answer.data["artifacts"] if p.endswith(".zip")]
    assert shots and all(Path(p).stat().st_size > 0 for p in shots)
    with zipfile.ZipFile(evidence) as archive:
        journal = json.loads(archive.read("journal.json"))
        dashboard = archive.read("symantec.aria.yaml").decode()
    # What a person debugs from: the dashboard as the run saw it, and what the run did there.
    assert "Partner Dashboard" in dashboard
    assert {"action": "symantec.order_info", "event": "drift", "page": "symantec.DashboardPage",
            "locator": "quick_search_link"}.items() <= journal[-1].items()
    password = Secret("Symantec password",
                      load_config().console("symantec").credentials()[1])
    written = [p for p in files_under(cli.home) if p != config]  # the sandbox's default is in it
    assert scan([password], written, {"stderr": answer.stderr}) == []  # the zip's insides too
