"""The operator console in real Chromium against `certrunner serve` on loopback and the sandbox.

An operator signs in, finds the ticket in the inbox, reads the captcha and answers; the run then
waits for the customer with the operator's name in its decisions. Around that path: a viewer is
refused, a form without its CSRF token is refused, two operators claiming one task, an abandon
that needs its confirmation, and /docs with the network cut. The tests take the screenshots in
docs/console.md.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from runner.store.runs import RunStore
from tests.console.conftest import shot, signed_in
from tests.console.console_pages import Abandon, Inbox, RunPage, SignIn, Task
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.once import untouched
from tests.e2e.service import Service
from tests.receiver import Receiver
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.long]
PHONE = {"width": 390, "height": 844}


def test_an_operator_answers_the_captcha_from_the_inbox(
        service: Service, sandbox: SandboxClient, tokens: dict[str, str], cli: Cli,
        receiver: Receiver, people: dict[str, BrowserContext]) -> None:
    sign_in = people["nobody"].new_page()
    sign_in.goto(service.url + "/")
    expect(SignIn(sign_in).token).to_be_visible()
    shot(sign_in, "sign-in")

    paused = service.run("cancel_refund", "T-C1", "fresh-issued.example").json()
    assert paused["status"] == "needs_input", paused
    run_id = paused["run_id"]
    wait_until(lambda: receiver.posted, timedelta(seconds=60), "the webhook's notice")
    (notice,) = receiver.posted
    assert "T-C1" in notice["text"] and f"/console/runs/{run_id}" in notice["text"]

    olga = signed_in(people, service, "olga", tokens["olga"])
    Inbox(olga).ticket("T-C1").click()
    task = Task(olga)
    expect(task.captcha).to_be_visible()
    shot(olga, "task")

    # Two operators, one task: olga claims it, omar sees who holds it and cannot answer.
    task.claim.click()
    expect(task.release).to_be_visible()
    omar = signed_in(people, service, "omar", tokens["omar"])
    expect(Inbox(omar).page.get_by_role("cell", name="olga")).to_be_visible()
    shot(omar, "inbox")
    Inbox(omar).ticket("T-C1").click()
    expect(Task(omar).held).to_contain_text("olga is working on this task")
    Task(omar).answer.fill("12345")
    Task(omar).send.click()
    expect(Task(omar).refusal).to_contain_text("olga is working on this task")

    # A viewer reads, and is told why they cannot answer.
    vic = signed_in(people, service, "vic", tokens["vic"])
    vic.goto(f"{service.url}/console/tasks/{run_id}")
    Task(vic).answer.fill("12345")
    Task(vic).send.click()
    expect(Task(vic).refusal).to_contain_text("vic is a viewer: an operator or an admin may "
                                              "answer")

    # A form without its CSRF token is refused, with the session's cookies and all.
    forged = olga.request.post(f"{service.url}/console/tasks/{run_id}/answer",
                               form={"input:image_number": "12345"})
    assert forged.status == 403 and "CSRF" in forged.text()

    png = olga.request.get(service.url + (task.captcha.get_attribute("src") or "")).body()
    answer = sandbox.solve_captcha(png)
    task.answer.fill(answer)
    task.send.click()
    run = RunPage(olga)
    expect(run.status("waiting")).to_be_visible(timeout=120_000)
    expect(run.decisions).to_contain_text("olga")
    shot(olga, "run")

    with RunStore(cli.home / "runs.db") as store:
        decisions = store.decisions.for_run(run_id)
        stored = store.get_run(run_id)
    assert [(d.actor, d.via, d.action) for d in decisions] == [
        ("olga", "console", "claim"), ("olga", "console", "answer")]
    assert decisions[1].detail["answered"] == ["image_number"]  # the answer itself: never
    assert answer not in str(decisions[1].detail)
    assert stored is not None and stored.status == "waiting"
    assert len(receiver.posted) == 1  # waiting for the customer is nobody's task


def test_an_order_that_does_not_match_is_a_task_to_check_and_retry(
        service: Service, sandbox: SandboxClient, tokens: dict[str, str], cli: Cli,
        people: dict[str, BrowserContext]) -> None:
    """Symantec's common name differs from the ticket's domain: nothing is sent, the run is in
    the inbox for a person to check the order, and their retry is recorded under their name."""
    failed = service.run("cancel_refund", "T-C4", "mismatch.example").json()
    assert (failed["status"], failed["error"]["code"]) == ("failed", "common_name_mismatch")
    assert failed["next_action"]["type"] == "review_order", failed
    run_id = failed["run_id"]

    olga = signed_in(people, service, "olga", tokens["olga"])
    Inbox(olga).ticket("T-C4").click()
    task = Task(olga)
    expect(olga.get_by_text(re.compile("common_name_mismatch"))).to_be_visible()
    expect(task.answer).to_have_count(0)  # nothing to type: the order is checked on the consoles
    task.retry.click()
    run = RunPage(olga)
    expect(run.decisions).to_contain_text("retry")

    with RunStore(cli.home / "runs.db") as store:
        decisions = store.decisions.for_run(run_id)
        again = store.get_run(run_id)
    assert ("olga", "console", "retry") in [(d.actor, d.via, d.action) for d in decisions]
    assert again is not None and again.status == "failed"  # the order still does not match
    untouched(sandbox, sandbox.order("mismatch.example")["order_id"])


def test_abandon_needs_its_confirmation_and_the_other_pages(
        service: Service, tokens: dict[str, str], people: dict[str, BrowserContext],
        cli: Cli) -> None:
    failed = service.run("cancel_refund", "T-C2", "nobody.example").json()
    assert failed["status"] == "failed", failed
    done = service.run("cancel_refund", "T-C3", "pending.example").json()
    assert done["status"] == "succeeded", done

    olga = signed_in(people, service, "olga", tokens["olga"])
    expect(Inbox(olga).ticket("T-C2")).to_be_visible()  # fix the ticket's data: a person's
    olga.goto(f"{service.url}/console/runs?ticket=T-C")
    expect(olga.get_by_role("link", name="T-C3")).to_be_visible()
    shot(olga, "runs")
    olga.get_by_role("link", name="T-C2").click()
    RunPage(olga).abandon.click()
    form = Abandon(olga)
    form.reason.fill("the customer withdrew the ticket")
    shot(olga, "abandon")
    form.submit.click()
    expect(form.refusal).to_contain_text("Tick the box to confirm")
    assert service.http.get(f"/runs/{failed['run_id']}").json()["status"] == "failed"
    form.confirm.check()
    form.submit.click()
    expect(RunPage(olga).status("abandoned")).to_be_visible()
    expect(RunPage(olga).decisions).to_contain_text("olga")

    olga.goto(f"{service.url}/console/refunds")
    expect(olga.get_by_role("cell", name="T-C3")).to_be_visible()
    shot(olga, "refunds")
    csv = olga.request.get(f"{service.url}/console/refunds.csv").text()
    assert csv.startswith("attempted_at,") and "T-C3" in csv
    olga.goto(f"{service.url}/console/nightly")
    expect(olga.get_by_role("heading", name="No nights yet")).to_be_visible()
    shot(olga, "nightly")

    ada = signed_in(people, service, "ada", tokens["ada"])
    ada.goto(f"{service.url}/console/operators")
    ada.get_by_label("Name").fill("nadia")
    ada.get_by_role("button", name="Add operator").click()
    expect(ada.get_by_role("status")).to_contain_text("nadia (operator) added")
    shot(ada, "operators")

    phone = people["phone"]
    phone.set_default_timeout(30_000)
    small = phone.new_page()
    small.set_viewport_size(PHONE)
    SignIn(small).sign_in(service.url, "olga", tokens["olga"])
    small.goto(f"{service.url}/console/runs")
    shot(small, "runs-phone")

    # The API takes an operator's token as a bearer token; a viewer's only reads.
    viewer = {"Authorization": f"Bearer {tokens['vic']}"}
    assert service.http.get("/runs", headers=viewer).status_code == 200
    refused = service.http.post(f"/runs/{done['run_id']}/abandon", json={"reason": "x"},
                                headers=viewer)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_docs_render_with_the_network_cut(service: Service, page: Page) -> None:
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if re.match(r"^https?://127\.0\.0\.1[:/]", route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.goto(service.url + "/docs")
    expect(page.get_by_role("heading", name=re.compile("certrunner"))).to_be_visible()
    expect(page.get_by_text("/runs/{run_id}/resume").first).to_be_visible()
    shot(page, "docs")
    assert outside == []
