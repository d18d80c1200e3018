"""The person-steps beyond the captcha, in the console in real Chromium: an access request
whose fate the runner could not witness, confirmed by a person; a page the vendor changed,
retried once the maintainers fixed it; a console down through every retry, retried once it is
back; failed runs retried together
from the runs page after their console came back; runs abandoned together, with the
confirmation that abandoning needs. Each decision is recorded under the operator's name, and
money and mail happen once per order whatever was clicked."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from runner.store.runs import RunStore
from tests.console.conftest import shot, signed_in
from tests.console.console_pages import Abandon, Inbox, Results, RunPage, Runs, Task
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.faults_harness import Traps, asked_to_confirm, due, meet, run_of
from tests.e2e.once import console_saw, exactly_once, untouched
from tests.e2e.service import Service
from tests.receiver import Receiver
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.long]


def _decisions(cli: Cli, run_id: str) -> list[tuple[str, str, str, object]]:
    """Who decided what on the run, through which door (with a confirmation's choice)."""
    with RunStore(cli.home / "runs.db") as store:
        return [(d.actor, d.via, d.action, d.detail.get("choices") or None)
                for d in store.decisions.for_run(run_id)]


def test_an_access_request_nobody_witnessed_is_confirmed_in_the_console(
        service: Service, sandbox: SandboxClient, tokens: dict[str, str], cli: Cli,
        traps: Traps, people: dict[str, BrowserContext]) -> None:
    """The process sending the access request is killed while its POST is in flight; GeoTrust
    then handles it and mails the customer, but no runner saw the answer. Olga reads the task,
    finds the mail went out, and says it happened: nothing is sent again, and the run waits for
    the customer. Omar, who had the same task open, answers after her: refused, naming her."""
    order = sandbox.order("fresh-issued.example")
    first = cli.run("cancel_refund", "T-D1", "fresh-issued.example")
    answer = sandbox.solve_captcha(Path(first.data["next_action"]["artifact"]))
    trap = traps.arm("POST", "/geotrust/request-access", "kill_before")
    resume = ("resume", first.data["run_id"], "--input", f"image_number={answer}", "--json")
    assert meet(cli, traps, resume, trap) is None, "the process was not killed at the POST"
    asking = asked_to_confirm(cli, "T-D1")
    console_saw(sandbox, order["order_id"], access=1)

    omar = signed_in(people, service, "omar", tokens["omar"])  # opens it too, answers late
    Inbox(omar).ticket("T-D1").click()
    late = Task(omar)
    expect(late.did_not_happen).to_be_visible()
    olga = signed_in(people, service, "olga", tokens["olga"])
    Inbox(olga).ticket("T-D1").click()
    task = Task(olga)
    expect(olga.get_by_role("heading", name="Confirm a side effect")).to_be_visible()
    expect(task.ledger).to_contain_text("geotrust.request_access")
    expect(task.ledger).to_contain_text("attempting")
    expect(task.did_not_happen).to_be_visible()
    expect(task.answer).to_have_count(0)  # a choice, not a text to type
    shot(olga, "confirm")
    task.happened.click()
    expect(RunPage(olga).status("waiting")).to_be_visible()
    expect(RunPage(olga).decisions).to_contain_text("olga")
    late.did_not_happen.click()  # omar's page is stale: refused, naming who answered
    expect(omar.get_by_role("alert")).to_contain_text(
        "ticket T-D1 (run " + str(asking["run_id"]) + ") waits for no answer now (waiting): "
        "olga answered it at")
    expect(omar.get_by_text("not_a_person_task")).to_be_visible()

    assert _decisions(cli, str(asking["run_id"]))[-1] == (
        "olga", "console", "confirm", {"confirm_access": "done"})
    assert run_of(cli, "T-D1")["status"] == "waiting"
    console_saw(sandbox, order["order_id"], access=1)  # still the one mail; no refund yet


def _pending(sandbox: SandboxClient, domain: str) -> str:
    bought = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    return str(sandbox.add_order(domain=domain, purchased_at=bought,
                                 state="pending_setup")["order_id"])


def _down_after_every_retry(cli: Cli, sandbox: SandboxClient, ticket: str) -> str:
    """A run for a new order whose console stays down through every retry cron makes (at the
    times the run names): then, and only then, it is a person's task. Answers the order."""
    order = _pending(sandbox, f"{ticket.lower()}.example")
    data = cli.run("cancel_refund", ticket, f"{ticket.lower()}.example").data
    for _ in range(8):
        action = data["next_action"]
        if action["type"] == "alert_console_down":
            return order
        assert action["type"] == "retry_later", data
        at = (datetime.fromisoformat(action["retry_after"]) + timedelta(seconds=1)).isoformat()
        (data,) = [d for d in due(cli, at) if d["run_id"] == data["run_id"]]
    raise AssertionError(f"still retried by itself: {data['next_action']}")


def test_failed_runs_retried_and_abandoned_together_from_the_runs_page(
        service: Service, sandbox: SandboxClient, tokens: dict[str, str], cli: Cli,
        people: dict[str, BrowserContext]) -> None:
    """The inbox holds what needs a person (a console down through every automatic retry, a
    ticket whose order does not exist), not a console down once (the scheduler retries it).
    From the runs page, failed runs are retried together once the console is back, and
    abandoned together behind one confirmation; each decision is the operator's."""
    sandbox.faults(down="pm")
    down = _down_after_every_retry(cli, sandbox, "T-B5")
    orders = {ticket: _pending(sandbox, f"{ticket.lower()}.example")
              for ticket in ("T-B1", "T-B2")}
    for ticket in orders:  # down once: the scheduler retries these by itself
        failed = service.run("cancel_refund", ticket, f"{ticket.lower()}.example").json()
        assert (failed["status"], failed["error"]["code"]) == ("failed", "console_server_error")
        assert failed["next_action"]["type"] == "retry_later"
    sandbox.faults(down="")
    for ticket in ("T-B3", "T-B4"):  # no such order: the ticket's data is for a person to fix
        failed = service.run("cancel_refund", ticket, "nobody.example").json()
        assert (failed["status"], failed["next_action"]["type"]) == ("failed", "fix_ticket")

    olga = signed_in(people, service, "olga", tokens["olga"])
    inbox = Inbox(olga)
    for ticket in ("T-B3", "T-B4", "T-B5"):
        expect(inbox.ticket(ticket)).to_be_visible()
    for ticket in orders:  # nobody's task until every automatic retry has failed
        expect(inbox.ticket(ticket)).to_have_count(0)
    inbox.ticket("T-B5").click()
    expect(olga.get_by_role("heading", name="A console is down")).to_be_visible()
    Task(olga).retry.click()  # it is back
    expect(RunPage(olga).status("succeeded")).to_be_visible()
    exactly_once(sandbox, down, access=False)

    olga.goto(f"{service.url}/console/runs")
    runs = Runs(olga)
    runs.status.select_option("failed")
    runs.search.click()
    runs.select("T-B1").check()
    runs.select("T-B2").check()
    runs.retry.click()
    results = Results(olga)
    expect(results.heading).to_have_text("Retry: results")
    expect(results.items).to_have_count(2)
    for item in results.items.all():
        expect(item).to_contain_text("done")
    for ticket, order in orders.items():
        data = run_of(cli, ticket)
        assert (data["status"], data["outcome"]) == ("succeeded", "refunded"), data
        assert ("olga", "console", "retry", None) in _decisions(cli, str(data["run_id"]))
        exactly_once(sandbox, order, access=False)

    olga.goto(f"{service.url}/console/runs?status=failed")
    runs.select("T-B3").check()
    runs.select("T-B4").check()
    runs.abandon.click()
    form = Abandon(olga)
    expect(olga.get_by_role("heading", name="Abandon 2 runs?")).to_be_visible()
    form.reason.fill("no such order: the customer was told to check the domain")
    form.submit.click()  # without the box ticked: refused, nothing abandoned
    expect(form.refusal).to_contain_text("Tick the box to confirm")
    assert run_of(cli, "T-B3")["status"] == "failed"
    form.confirm.check()
    form.submit.click()
    expect(Results(olga).heading).to_have_text("Abandon: results")
    for ticket in ("T-B3", "T-B4"):
        data = run_of(cli, ticket)
        assert data["status"] == "abandoned", data
        assert ("olga", "console", "abandon", None) in _decisions(cli, str(data["run_id"]))


def test_a_changed_page_is_a_task_retried_once_the_maintainers_fixed_it(
        cli_process: Cli, sandbox: SandboxClient, tokens: dict[str, str], cli: Cli,
        receiver: Receiver, tmp_path: Path, people: dict[str, BrowserContext]) -> None:
    """PM renamed its Refund button: the run fails as drift before any click, the webhook
    tells the on-call engineer, and the run waits in the inbox as a changed page. Once the page
    objects match again (here: the console's old layout is back), the operator's retry refunds
    the order, once."""
    quick = cli.config_with("quick.yaml", timeout_ms=1500)  # a missing button fails fast
    service = Service({**cli_process.env, "CERTRUNNER_NOTIFY_URL": receiver.url,
                       "CERTRUNNER_CONFIG": str(quick)}, tmp_path, "--workers", "1")
    try:
        order = sandbox.order("pending.example")["order_id"]
        sandbox.faults(layout="breaking")
        failed = service.run("cancel_refund", "T-D2", "pending.example").json()
        assert (failed["status"], failed["error"]["kind"]) == ("failed", "drift"), failed
        assert failed["next_action"]["type"] == "alert_maintainers", failed
        wait_until(lambda: receiver.posted, timedelta(seconds=60), "the webhook's notice")
        assert "T-D2" in receiver.posted[0]["text"]
        untouched(sandbox, order)

        olga = signed_in(people, service, "olga", tokens["olga"])
        Inbox(olga).ticket("T-D2").click()
        task = Task(olga)
        expect(olga.get_by_role("heading", name="A console page changed")).to_be_visible()
        expect(olga.get_by_text(failed["error"]["code"])).to_be_visible()
        shot(olga, "drift")
        sandbox.faults(layout="normal")  # the maintainers' fix is in
        task.retry.click()
        expect(RunPage(olga).status("succeeded")).to_be_visible()
    finally:
        service.stop()
    data = run_of(cli, "T-D2")
    assert (data["status"], data["outcome"]) == ("succeeded", "refunded"), data
    assert ("olga", "console", "retry", None) in _decisions(cli, str(data["run_id"]))
    exactly_once(sandbox, order, access=False)


def test_two_answers_to_one_question_at_once_the_first_is_taken(
        cli_process: Cli, sandbox: SandboxClient, tokens: dict[str, str], cli: Cli,
        traps: Traps, tmp_path: Path) -> None:
    """Olga and Omar answer the same confirmation through the API at the same moment, on a
    service with two workers and a console answering each page slowly (the two drives would
    overlap): one answer is taken, the other is checked against the run as the first left it,
    refused, and recorded nowhere; GeoTrust mailed once."""
    service = Service(cli_process.env, tmp_path, "--workers", "2")
    try:
        order = sandbox.order("fresh-issued.example")["order_id"]
        first = cli.run("cancel_refund", "T-D3", "fresh-issued.example")
        answer = sandbox.solve_captcha(Path(first.data["next_action"]["artifact"]))
        trap = traps.arm("POST", "/geotrust/request-access", "kill_before")
        resume = ("resume", first.data["run_id"], "--input", f"image_number={answer}", "--json")
        assert meet(cli, traps, resume, trap) is None, "the process was not killed at the POST"
        run_id = str(asked_to_confirm(cli, "T-D3")["run_id"])
        sandbox.faults(latency_ms=700)

        def confirm(who_and_choice: tuple[str, str]) -> httpx.Response:
            who, choice = who_and_choice
            return service.http.post(f"/runs/{run_id}/resume",
                                     json={"inputs": {"confirm_access": choice}},
                                     headers={"Authorization": f"Bearer {tokens[who]}"})

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(confirm, [("olga", "done"), ("omar", "done")]))
    finally:
        service.stop()
    taken = [a for a in answers if a.status_code == 200]
    refused = [a.json()["error"] for a in answers if a.status_code == 409]  # the run moved on
    assert len(taken) == 1 and [e["code"] for e in refused] == ["answer_not_asked"], (
        [a.text for a in answers])
    assert taken[0].json()["status"] == "waiting"
    confirms = [d for d in _decisions(cli, run_id) if d[2] == "confirm"]
    assert len(confirms) == 1 and confirms[0][:2] in (("olga", "http"), ("omar", "http"))
    assert f"{confirms[0][0]} answered it at" in refused[0]["message"]
    console_saw(sandbox, order, access=1)


def test_a_captcha_read_off_an_image_no_longer_asked_about_is_not_sent(
        service: Service, sandbox: SandboxClient, tokens: dict[str, str],
        people: dict[str, BrowserContext]) -> None:
    """Olga opens the captcha; before she answers, an agent's wrong answer makes the run ask
    about a new image. Her answer, right for the image she read, would be wrong for the new one
    and cost a try: it is refused and not sent. She reads the new image, and her answer goes."""
    paused = service.run("cancel_refund", "T-D6", "fresh-issued.example").json()
    assert paused["next_action"]["tries_left"] == 3, paused
    olga = signed_in(people, service, "olga", tokens["olga"])
    Inbox(olga).ticket("T-D6").click()
    task = Task(olga)
    read = sandbox.solve_captcha(olga.request.get(
        service.url + (task.captcha.get_attribute("src") or "")).body())

    wrong = service.resume(paused["run_id"], image_number="00000").json()
    assert (wrong["next_action"]["previous_answer"], wrong["next_action"]["tries_left"]) == (
        "rejected", 2), wrong
    task.answer.fill(read)
    task.send.click()
    expect(olga.get_by_role("alert")).to_contain_text("the captcha changed since your page "
                                                      "showed it (the last answer was rejected)")
    now = service.http.get(f"/runs/{paused['run_id']}").json()
    assert now["next_action"]["tries_left"] == 2  # nothing was sent: no try spent

    olga.goto(f"{service.url}/console/tasks/{paused['run_id']}")
    again = sandbox.solve_captcha(olga.request.get(
        service.url + (task.captcha.get_attribute("src") or "")).body())
    task.answer.fill(again)
    task.send.click()
    expect(RunPage(olga).status("waiting")).to_be_visible()
    console_saw(sandbox, sandbox.order("fresh-issued.example")["order_id"], access=1)
