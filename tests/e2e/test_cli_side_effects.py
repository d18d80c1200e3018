"""Nothing is clicked twice: a run killed after its refund click (resumed before and after the
refund window closed), a click the console refused, two triggers of one ticket at once, and
four tickets for one order at once. Each `run.py` is a real process; the kill is SIGKILL.
Refund POSTs and access mails are counted at the sandbox, per order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runner.browser.session import RunSession
from runner.cli.demo_customer import cancel_certificate
from runner.config import Config
from runner.store.runs import LedgerStatus, RunStore
from tests.e2e.cli import Cli
from tests.e2e.conftest import HeldAnswers, SandboxClient

pytestmark = pytest.mark.long  # started first: see tests/conftest.py



@pytest.mark.parametrize("resumed_at", [None, "+30d"], ids=["soon", "after_the_window"])
def test_run_killed_after_the_refund_click_is_resumed_without_a_second_refund(
        cli: Cli, sandbox: SandboxClient, held_answers: HeldAnswers,
        resumed_at: str | None) -> None:
    """Resumed even after the refund window closed (pending.example was bought 3 days ago),
    the refund the console shows is reported as done, never as "we cannot refund it"."""
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
        (entry,) = store.ledger.for_order(order_id)
        assert entry.status is LedgerStatus.ATTEMPTING

    cron = cli("resume", "--due", "--json", now=resumed_at)  # what a dead process left
    assert cron.code == 0, cron.stderr
    (resumed,) = cron.data["resumed"]
    assert resumed["run_id"] == run.run_id
    assert (resumed["status"], resumed["outcome"]) == ("succeeded", "refunded")
    refunds = sandbox.refunds(order_id)
    assert len(refunds) == 1 and sandbox.posts(order_id)["refund"] == 1
    assert resumed["outputs"]["refund_now"]["refund_ref"] == refunds[0]["ref"]
    with RunStore(cli.home / "runs.db") as store:
        (entry,) = store.ledger.for_order(order_id)
        assert entry.status is LedgerStatus.CONFIRMED
        assert entry.evidence["source"] == "console_after_crash"


def test_refused_click_is_settled_by_the_console_without_a_person(
        cli: Cli, sandbox: SandboxClient) -> None:
    """The console answered the refund POST with a 500 and did nothing: the Transaction page
    can tell, so the run asks nobody. Right away it waits for any late answer to the click
    (the navigation timeout); after that it refunds, once."""
    order_id = sandbox.order("pending.example")["order_id"]
    sandbox.faults(write_fault="error")
    failed = cli.run("cancel_refund", "T-701", "pending.example")
    assert failed.code == 1, failed.stderr
    assert failed.data["error"]["kind"] == "console"
    assert failed.data["error"]["step"] == "refund_now"
    assert sandbox.refunds(order_id) == []
    sandbox.faults(write_fault="none")

    soon = cli.resume(failed.data["run_id"])
    assert soon.code == 3, soon.stderr
    assert (soon.data["status"], soon.data["outcome"]) == ("waiting", None)
    action = soon.data["next_action"]
    assert action["type"] == "wait" and action["other_run"] == failed.data["run_id"]
    assert "working on your request" in soon.data["customer_message"]
    assert sandbox.refunds(order_id) == []
    refused = sandbox.posts(order_id)["refund"]  # whether the refused POST counts: the console's

    later = cli.resume(failed.data["run_id"], now="+1m")
    assert later.code == 0, later.stderr
    assert later.data["outcome"] == "refunded"
    assert len(sandbox.refunds(order_id)) == 1
    assert sandbox.posts(order_id)["refund"] == refused + 1  # one click after the refused one
    with RunStore(cli.home / "runs.db") as store:
        (entry,) = store.ledger.for_order(order_id)
    assert entry.status is LedgerStatus.CONFIRMED
    assert entry.evidence["source"] == "page_confirmation"


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


# Several tickets for one order at once: one refund POST and one access mail, whatever asks.

@pytest.fixture
def crowd(cli: Cli) -> Cli:
    """The CLI with patient browser timeouts: four browsers start at once on a busy machine."""
    cli.env["CERTRUNNER_CONFIG"] = str(cli.config_with("crowd.yaml", timeout_ms=60000))
    return cli


def at_once(cli: Cli, *commands: list[str]) -> list[dict[str, Any]]:
    """Start every command as its own process at the same moment; their JSON answers."""
    processes = [(command, cli.start(*command)) for command in commands]
    answers = []
    for command, process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert stdout.strip(), stderr
        answers.append(cli.parse(tuple(command), stdout))
    return answers


def resume_all(cli: Cli, answers: list[dict[str, Any]], *extra: str) -> list[dict[str, Any]]:
    return at_once(cli, *[["resume", a["run_id"], *extra, "--json"] for a in answers])


def settle(cli: Cli, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resume, all at once, the runs that paused because another run was mid-click on the same
    order, until none does (each round one run at least finishes its step)."""
    by_run = {a["run_id"]: a for a in answers}
    for _ in range(len(answers)):
        behind = [a for a in by_run.values()
                  if a["status"] == "waiting" and a["next_action"].get("other_run")]
        if not behind:
            break
        by_run.update({a["run_id"]: a for a in resume_all(cli, behind)})
    return [by_run[a["run_id"]] for a in answers]


def errors(answers: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """Each run's status and error message: what an assertion should show when it fails."""
    return [(a["status"], (a["error"] or {}).get("message")) for a in answers]


def run_commands(domain: str, tickets: list[str]) -> list[list[str]]:
    return [["run", "cancel_refund", "--ticket", t, "--domain", domain, "--json"]
            for t in tickets]


def test_four_tickets_for_one_pending_order_make_one_refund_post(
        crowd: Cli, sandbox: SandboxClient) -> None:
    cli = crowd
    order_id = sandbox.order("pending.example")["order_id"]
    tickets = [f"T-71{n}" for n in range(4)]
    answers = settle(cli, at_once(cli, *run_commands("pending.example", tickets)))
    assert [a["status"] for a in answers] == ["succeeded"] * 4, errors(answers)
    assert sorted(a["outcome"] for a in answers) == ["already_refunded"] * 3 + ["refunded"]
    assert sandbox.posts(order_id)["refund"] == 1
    assert len(sandbox.refunds(order_id)) == 1
    with RunStore(cli.home / "runs.db") as store:
        (entry,) = store.ledger.for_order(order_id)
    assert entry.status is LedgerStatus.CONFIRMED


def test_four_tickets_for_one_issued_order_make_one_access_mail_and_one_refund_post(
        crowd: Cli, sandbox: SandboxClient, config: Config,
        make_session: Callable[[Config], RunSession]) -> None:
    cli = crowd
    order = sandbox.order("fresh-issued.example")
    tickets = [f"T-72{n}" for n in range(4)]
    asked = at_once(cli, *run_commands("fresh-issued.example", tickets))
    assert [a["status"] for a in asked] == ["needs_input"] * 4, errors(asked)
    answers = at_once(cli, *[
        ["resume", a["run_id"], "--input",
         f"image_number={sandbox.solve_captcha(Path(a['next_action']['artifact']))}", "--json"]
        for a in asked])
    answers = settle(cli, answers)
    assert [a["status"] for a in answers] == ["waiting"] * 4, errors(answers)
    assert sandbox.posts(order["order_id"])["request_access"] == 1
    assert sandbox.posts(order["order_id"])["access_mails"] == 1

    customer = make_session(config)  # the customer opens the one mail and cancels
    cancel_certificate(customer, order["admin_email"])

    finished = settle(cli, resume_all(cli, answers))
    assert [a["status"] for a in finished] == ["succeeded"] * 4, errors(finished)
    assert sorted(a["outcome"] for a in finished) == ["already_refunded"] * 3 + ["refunded"]
    assert sandbox.posts(order["order_id"]) == {"refund": 1, "request_access": 1,
                                                "access_mails": 1}
    assert len(sandbox.refunds(order["order_id"])) == 1


def test_a_ticket_for_an_order_another_ticket_refunded_ends_at_once(
        cli: Cli, sandbox: SandboxClient) -> None:
    """Refunded by the first ticket: the second mails nobody and waits for nothing."""
    order = sandbox.order("cancelled.example")
    first = cli.run("cancel_refund", "T-730", "cancelled.example")
    assert (first.data["status"], first.data["outcome"]) == ("succeeded", "refunded")
    second = cli.run("cancel_refund", "T-731", "cancelled.example")
    assert second.code == 0, second.stderr
    assert (second.data["status"], second.data["outcome"]) == ("succeeded", "already_refunded")
    assert [s["id"] for s in second.data["steps"] if s["status"] == "done"] == ["order"]
    assert sandbox.posts(order["order_id"]) == {"refund": 1, "request_access": 0,
                                                "access_mails": 0}


# A second ticket for an issued order whose access link another ticket already had sent: no
# captcha read, nobody asked for its number, no second mail; it waits with the first.

def customer_cancels(sandbox: SandboxClient, config: Config,
                     make_session: Callable[[Config], RunSession], email: str) -> None:
    customer = make_session(config)  # the customer opens the one mail and cancels
    cancel_certificate(customer, email)


def test_a_second_ticket_for_an_order_whose_access_link_was_sent_asks_nobody(
        cli: Cli, sandbox: SandboxClient, config: Config,
        make_session: Callable[[Config], RunSession]) -> None:
    order = sandbox.order("fresh-issued.example")
    first = cli.run("cancel_refund", "T-740", "fresh-issued.example")
    assert first.data["status"] == "needs_input", first.stderr
    answer = sandbox.solve_captcha(Path(first.data["next_action"]["artifact"]))
    sent = cli.resume(first.data["run_id"], f"image_number={answer}")
    assert sent.data["status"] == "waiting", sent.stderr
    assert "already sent" not in sent.data["customer_message"]

    second = cli.run("cancel_refund", "T-741", "fresh-issued.example")
    assert (second.code, second.data["status"]) == (3, "waiting"), second.stderr
    steps = {s["id"]: s["status"] for s in second.data["steps"]}
    assert (steps["captcha"], steps["image_number"], steps["access"]) == (
        "skipped", "skipped", "done")
    assert second.data["next_action"]["type"] == "wait"
    assert "sent for an earlier request" in second.data["next_action"]["waiting_for"]
    assert second.data["customer_message"].startswith(
        "The access link was already sent for an earlier request for this certificate, so no "
        "new email was sent. To cancel your certificate for fresh-issued.example")
    assert second.data["outputs"]["access"]["already_done"] is True
    with RunStore(cli.home / "runs.db") as store:
        events = store.events(second.data["run_id"])
        (entry,) = store.ledger.for_order(order["order_id"])
    assert [(e.step, e.status) for e in events if e.kind == "ask"] == [
        ("image_number", "skipped")]  # never paused to ask
    (skipped,) = [e for e in events if e.step == "captcha"]
    assert skipped.data["detail"] == (
        f"geotrust.request_access on {order['order_id']} already done by run "
        f"{first.data['run_id']} of ticket T-740")
    assert (entry.ticket, entry.status) == ("T-740", LedgerStatus.CONFIRMED)
    assert sandbox.posts(order["order_id"]) == {"refund": 0, "request_access": 1,
                                                "access_mails": 1}

    customer_cancels(sandbox, config, make_session, order["admin_email"])
    finished = [cli.resume(a.data["run_id"]) for a in (first, second)]
    assert [a.data["status"] for a in finished] == ["succeeded"] * 2, errors(
        [a.data for a in finished])
    assert sorted(a.data["outcome"] for a in finished) == ["already_refunded", "refunded"]
    assert sandbox.posts(order["order_id"]) == {"refund": 1, "request_access": 1,
                                                "access_mails": 1}
    assert len(sandbox.refunds(order["order_id"])) == 1


def test_a_ticket_whose_access_request_another_live_run_is_sending_waits_without_asking(
        cli: Cli, sandbox: SandboxClient, held_answers: HeldAnswers) -> None:
    """The first run's request is held at GeoTrust (its process alive, waiting patiently for
    the answer): the second ticket waits for it instead of asking for a captcha, and once the
    request is through, goes on to wait for the customer without asking either."""
    cli.env["CERTRUNNER_CONFIG"] = str(cli.config_with("patient.yaml",
                                                       navigation_timeout_ms=600000))
    order = sandbox.order("fresh-issued.example")
    first = cli.run("cancel_refund", "T-750", "fresh-issued.example")
    answer = sandbox.solve_captcha(Path(first.data["next_action"]["artifact"]))
    sandbox.faults(write_fault="hold")
    sending = cli.start("resume", first.data["run_id"], "--input", f"image_number={answer}",
                        "--json")
    try:
        assert held_answers.wait(timeout=120), "the access request never reached the console"
        sandbox.faults(write_fault="none")  # only the first run's request stays held
        second = cli.run("cancel_refund", "T-751", "fresh-issued.example")
        assert (second.code, second.data["status"]) == (3, "waiting"), errors([second.data])
        assert second.data["next_action"]["other_run"] == first.data["run_id"]
        steps = {s["id"]: s["status"] for s in second.data["steps"]}
        assert steps["captcha"] == "paused" and "image_number" not in steps
    finally:
        held_answers.release()
        stdout, stderr = sending.communicate(timeout=300)
    sent = cli.parse(("resume", "--json"), stdout)
    assert sent["status"] == "waiting", stderr

    again = cli.resume(second.data["run_id"])
    assert again.data["status"] == "waiting", again.stderr
    assert {s["id"]: s["status"] for s in again.data["steps"]}["image_number"] == "skipped"
    assert "already sent" in again.data["customer_message"]
    assert sandbox.posts(order["order_id"]) == {"refund": 0, "request_access": 1,
                                                "access_mails": 1}
