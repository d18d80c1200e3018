"""Runs that meet a failing console, or lose their captcha answer, find their own way back:
a console failure is retried by `resume --due` with backoff until an alert; a lost or expired
captcha answer brings a new image; too many wrong answers stop the run for a person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from runner.browser.session import RunSession
from runner.cli.demo_customer import cancel_certificate
from runner.config import DEFAULT_CONFIG, Config
from runner.store.ledger import LedgerStatus
from runner.store.runs import RunStore
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.faults_harness import Agent, Traps, asked_to_confirm, check_answer, due, meet
from tests.e2e.once import console_saw, exactly_once
from tests.unit.customer_truth import problems

# started first (tests/conftest.py); a test may take minutes on a busy machine
pytestmark = [pytest.mark.long, pytest.mark.timeout(900)]


ISSUED = "fresh-issued.example"


def customer(make_session: Callable[[Config], RunSession], config: Config,
             email: str) -> Callable[[], None]:
    def cancels() -> None:
        """Play the customer: open the GeoTrust mail's only link, press Cancel Certificate."""
        session = make_session(config)
        cancel_certificate(session, email)
    return cancels


def _answer(sandbox: SandboxClient, data: dict[str, object]) -> str:
    action = data["next_action"]
    assert isinstance(action, dict) and action["type"] == "provide_input", data
    return sandbox.solve_captcha(Path(action["artifact"]))


def test_geotrust_down_at_request_access_asks_for_a_new_captcha(
        cli: Cli, sandbox: SandboxClient, traps: Traps, config: Config,
        make_session: Callable[[Config], RunSession]) -> None:
    order_id = sandbox.order(ISSUED)["order_id"]
    first = cli.run("cancel_refund", "T-R1", ISSUED)
    assert "run_id" in first.data, first
    run_id, old_image = first.data["run_id"], first.data["next_action"]["artifact"]
    trap = traps.arm("POST", "/geotrust/", "down")  # GeoTrust goes down as the form is sent
    failed = meet(cli, traps, ("resume", run_id, "--input",
                               f"image_number={_answer(sandbox, first.data)}", "--json"), trap)
    assert failed is not None and failed.code == 1, failed
    check_answer(failed.data)
    assert failed.data["error"]["step"] == "access"
    assert failed.data["next_action"]["command"] == ["certrunner", "resume", run_id, "--json"]
    with RunStore(cli.home / "runs.db") as store:
        (entry,) = store.ledger.for_order(order_id)
        assert entry.status is LedgerStatus.ABANDONED  # the page failed before Request Access
    sandbox.faults(down="")

    assert due(cli) == []  # not due before retry_after
    due_at = datetime.fromisoformat(failed.data["error"]["retry_after"]) + timedelta(seconds=1)
    (again,) = due(cli, due_at.isoformat())
    assert again["status"] == "needs_input", again
    assert again["next_action"]["input"] == "image_number"
    assert again["next_action"]["artifact"] != old_image
    assert any(s["id"] == "access" and s["status"] == "retry" for s in again["steps"])

    agent = Agent(cli, sandbox, order_id, customer(make_session, config, f"admin@{ISSUED}"))
    done = agent.finish(run_id)
    assert done["outcome"] == "refunded"
    exactly_once(sandbox, order_id, access=True)


@pytest.mark.parametrize("mode", ["hold", "error"])
def test_request_access_post_unanswered_is_confirmed_then_finished(
        cli: Cli, sandbox: SandboxClient, traps: Traps, config: Config,
        make_session: Callable[[Config], RunSession], mode: str) -> None:
    """hold: GeoTrust mailed but its answer never came; error: it failed before mailing."""
    order_id = sandbox.order(ISSUED)["order_id"]
    first = cli.run("cancel_refund", "T-R2", ISSUED)
    run_id = first.data["run_id"]
    trap = traps.arm("POST", "/geotrust/request-access", mode)
    failed = meet(cli, traps, ("resume", run_id, "--input",
                               f"image_number={_answer(sandbox, first.data)}", "--json"), trap)
    assert failed is not None and failed.code == 1, failed
    check_answer(failed.data)
    agent = Agent(cli, sandbox, order_id, customer(make_session, config, f"admin@{ISSUED}"))
    done = agent.finish(run_id)
    assert done["outcome"] == "refunded"
    types = [(d.get("next_action") or {}).get("type") for d in agent.seen]
    assert "confirm_side_effect" in types  # whether GeoTrust mailed is for a person to say
    exactly_once(sandbox, order_id, access=True)


def test_a_confirmation_counts_only_as_the_answer_to_the_question_asked(
        cli: Cli, sandbox: SandboxClient, traps: Traps) -> None:
    """Given early (with the captcha's answer), with a value that is neither retry nor done,
    while another machine drives the run, or late (the run has moved on), a confirmation is
    refused and recorded nowhere: kept with the run, it would answer a later question nobody
    had seen. Asked, it is taken once."""
    order_id = sandbox.order(ISSUED)["order_id"]
    first = cli.run("cancel_refund", "T-R5", ISSUED)
    run_id, answer = first.data["run_id"], _answer(sandbox, first.data)
    # Paused for a person: its own console session stays on this machine (and in the store).
    assert (Path(first.data["next_action"]["artifact"]).parent / "cookies.json").is_file()
    early = cli.resume(run_id, f"image_number={answer}", "confirm_access=retry")
    assert (early.code, early.data["error"]["code"]) == (2, "answer_not_asked"), early
    assert "does not ask for confirm_access now (it asks for image_number)" in \
        early.data["error"]["message"]
    console_saw(sandbox, order_id)  # the answer that came with it was not sent either
    assert early.data["status"] == "needs_input"  # the run as it stands: nothing failed
    typo = cli.resume(run_id, "image_nubmer=1")  # refused as well, the run shown as it stands
    assert (typo.code, typo.data["error"]["code"], typo.data["status"]) == (
        2, "unknown_input", "needs_input"), typo
    assert typo.data["customer_message"] == first.data["customer_message"]
    trap = traps.arm("POST", "/geotrust/request-access", "error")
    meet(cli, traps, ("resume", run_id, "--input", f"image_number={answer}", "--json"), trap)
    assert asked_to_confirm(cli, "T-R5")["next_action"]["input"] == "confirm_access"

    odd = cli.resume(run_id, "confirm_access=yes")
    assert (odd.code, odd.data["error"]["code"]) == (2, "answer_not_asked"), odd
    assert "confirm_access is retry (it did not happen: do it again) or done" in \
        odd.data["error"]["message"]
    other = "machine-2:4242:a1b2c3"  # another machine is driving the run right now
    with RunStore(cli.home / "runs.db") as store:
        assert store.acquire_lease(run_id, other, timedelta(minutes=5))
    busy = cli.resume(run_id, "confirm_access=retry")
    assert (busy.code, busy.data["error"]["code"]) == (2, "answer_not_asked"), busy
    assert "(another process is driving it)" in busy.data["error"]["message"]
    with RunStore(cli.home / "runs.db") as store:
        assert store.release_lease(run_id, other)
    taken = cli.resume(run_id, "confirm_access=retry")  # GeoTrust failed before mailing
    assert taken.data["next_action"]["input"] == "image_number"  # a new request, a new image
    sent = cli.resume(run_id, f"image_number={_answer(sandbox, taken.data)}")
    assert sent.data["status"] == "waiting", sent.data
    for stale in ("confirm_access=done", "image_number=12345"):  # the run waits: no question
        late = cli.resume(run_id, stale)
        assert (late.code, late.data["error"]["code"]) == (2, "answer_not_asked"), late
        assert "now (it is waiting; " in late.data["error"]["message"]
        assert " answered it at " in late.data["error"]["message"]  # who, and when
        # The run as it stands, whose words to the customer stay true: nothing failed.
        assert (late.data["status"], late.data["customer_message"]) == (
            "waiting", sent.data["customer_message"])
    with RunStore(cli.home / "runs.db") as store:
        decisions = store.decisions.for_run(run_id)
    confirmed = [d.detail["choices"] for d in decisions if d.action == "confirm"]
    assert confirmed == [{"confirm_access": "retry"}]
    assert [d.action for d in decisions] == ["answer", "confirm", "answer"]  # none refused
    console_saw(sandbox, order_id, access=1)


def test_captcha_answers_say_rejected_or_expired_and_stop_after_three_wrong(
        cli: Cli, sandbox: SandboxClient) -> None:
    first = cli.run("cancel_refund", "T-R3", ISSUED)
    run_id, asked = first.data["run_id"], first.data["next_action"]
    assert asked["previous_answer"] is None and asked["tries_left"] == 3
    assert datetime.fromisoformat(asked["expires_at"]) > datetime.now(UTC)

    # The right answer, six minutes late: the image has expired, so it is not sent at all.
    late = cli.resume(run_id, f"image_number={_answer(sandbox, first.data)}", now="+6m")
    assert late.data["status"] == "needs_input"
    assert late.data["next_action"]["previous_answer"] == "expired"
    assert late.data["next_action"]["tries_left"] == 3  # an expired answer is not a wrong one
    assert late.data["next_action"]["artifact"] != asked["artifact"]
    order_id = sandbox.order(ISSUED)["order_id"]
    console_saw(sandbox, order_id)  # the expired answer was never sent

    answer = late
    for left in (2, 1):
        answer = cli.resume(run_id, "image_number=00000")
        assert answer.code == 3, answer.stderr
        assert answer.data["next_action"]["previous_answer"] == "rejected"
        assert answer.data["next_action"]["tries_left"] == left
    stopped = cli.resume(run_id, "image_number=00000")
    # The kind agrees with the next action: a person checks, then the run goes on (input, 2),
    # not "tell the customer, retrying will not help" (business).
    assert stopped.code == 2, stopped.stderr
    assert (stopped.data["status"], stopped.data["outcome"]) == ("failed", "answer_tries_exhausted")
    assert stopped.data["error"]["code"] == "answer_tries_exhausted"
    assert stopped.data["error"]["kind"] == "input"
    assert stopped.data["next_action"]["type"] == "check_order"
    assert stopped.data["next_action"]["command"] == ["certrunner", "resume", run_id, "--json"]
    assert "00000" not in stopped.data["customer_message"]
    assert problems(stopped.data["customer_message"], "failed", "check_order") == []
    assert due(cli) == []  # nobody retries it but a person

    checked = cli.resume(run_id)  # a person checked the order: ask afresh
    assert checked.data["status"] == "needs_input"
    assert checked.data["outcome"] is None and checked.data["error"] is None  # paused
    assert checked.data["next_action"]["tries_left"] == 3
    console_saw(sandbox, order_id)


def test_an_unanswered_captcha_past_its_lifetime_is_read_again(cli: Cli,
                                                              sandbox: SandboxClient) -> None:
    first = cli.run("cancel_refund", "T-R4", ISSUED)
    later = cli.resume(first.data["run_id"], now="+6m")  # nobody answered for six minutes
    assert later.data["status"] == "needs_input"
    assert later.data["next_action"]["artifact"] != first.data["next_action"]["artifact"]
    assert later.data["next_action"]["previous_answer"] is None


def test_console_failures_are_retried_with_backoff_then_alert(
        cli: Cli, sandbox: SandboxClient, tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["retries"] = {"console_attempts": 2, "first_delay_s": 60, "max_delay_s": 600}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(raw))
    cli.env["CERTRUNNER_CONFIG"] = str(tmp_path / "config.yaml")
    sandbox.faults(down="pm")
    started = datetime.now(UTC)
    failed = cli.run("cancel_refund", "T-R5", "pending.example")
    assert failed.code == 1, failed.stderr
    check_answer(failed.data)
    retry_after = datetime.fromisoformat(failed.data["error"]["retry_after"])
    assert started + timedelta(seconds=30) <= retry_after <= datetime.now(UTC) + timedelta(
        seconds=60)
    assert failed.data["next_action"]["failures"] == 1

    at = (retry_after + timedelta(seconds=1)).isoformat()
    (second,) = due(cli, at)
    assert second["status"] == "failed"
    assert second["next_action"]["type"] == "alert_console_down"
    assert second["next_action"]["summary"].startswith("ALERT:")
    assert second["error"]["retries_exhausted"] is True and "retry_after" not in second["error"]
    # Nothing notifies anyone yet, so the text says only that it is on hold for the team (the
    # alert is a person's task) and never that someone "has been told".
    assert "on hold" in second["customer_message"] and "told" not in second["customer_message"]
    assert problems(second["customer_message"], "failed", "alert_console_down") == []
    assert due(cli, "+1d") == []  # fails for good

    sandbox.faults(down="")
    fixed = cli.resume(failed.data["run_id"])  # a maintainer resumes once PM is back
    assert (fixed.data["status"], fixed.data["outcome"]) == ("succeeded", "refunded")
