"""The HTTP service end to end: a real `certrunner serve` process, real Chromium, the sandbox.

Money is the point: whichever door asks, and however many times at once, an order is refunded
once (the refund POSTs that reached the sandbox are counted: tests/e2e/once.py).
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from runner.store.runs import RunStore
from tests import children
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.once import console_saw, exactly_once
from tests.e2e.service import Service
from tests.waiting import group_gone, wait_until

# started first (tests/conftest.py); a test may take minutes on a busy machine
pytestmark = [pytest.mark.long, pytest.mark.timeout(900)]


TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
def cli(cli_process: Cli) -> Cli:
    """Services are processes, and so is every command beside them here."""
    return cli_process


@pytest.fixture
def service(cli: Cli, tmp_path: Path) -> Iterator[Service]:
    running = Service(cli.env, tmp_path, "--workers", "2")
    yield running
    running.stop()


def _order_id(sandbox: SandboxClient, domain: str) -> str:
    return str(sandbox.order(domain)["order_id"])


def test_pending_order_is_refunded_once_and_the_same_ticket_gets_the_same_run(
        service: Service, sandbox: SandboxClient) -> None:
    first = service.run("cancel_refund", "T-H1", "pending.example")
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["outcome"], body["existing"]) == ("succeeded", "refunded", False)
    again = service.run("cancel_refund", "T-H1", "pending.example")
    assert again.json()["run_id"] == body["run_id"] and again.json()["existing"] is True
    assert service.http.get(f"/runs/{body['run_id']}").json()["status"] == "succeeded"
    listed = service.http.get("/runs", params={"ticket": "T-H1"}).json()
    assert [r["run_id"] for r in listed] == [body["run_id"]]
    exactly_once(sandbox, _order_id(sandbox, "pending.example"), access=False)


def test_two_requests_at_once_for_one_ticket_make_one_run(service: Service,
                                                          sandbox: SandboxClient) -> None:
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: service.run("cancel_refund", "T-H2", "pending.example"),
                                range(4)))
    bodies = [a.json() for a in answers]
    assert {b["run_id"] for b in bodies} == {bodies[0]["run_id"]}
    assert sorted(b["existing"] for b in bodies) == [False, True, True, True]
    assert {b["status"] for b in bodies} == {"succeeded"}
    exactly_once(sandbox, _order_id(sandbox, "pending.example"), access=False)


def test_service_and_cli_at_once_on_one_store_click_once(service: Service, cli: Cli,
                                                         sandbox: SandboxClient) -> None:
    """One ticket through both doors at once: one run, one ledger entry, one click."""
    processes = [cli.start("run", "cancel_refund", "--ticket", "T-H3", "--domain",
                           "cancelled.example", "--json") for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        via_http = list(pool.map(lambda _: service.run("cancel_refund", "T-H3",
                                                       "cancelled.example"), range(2)))
    via_cli = [json.loads(children.communicate(p, 300)[0]) for p in processes]
    assert all(a.status_code == 200 for a in via_http), [a.text for a in via_http]
    assert {b["run_id"] for b in via_cli + [a.json() for a in via_http]} == {
        via_cli[0]["run_id"]}
    assert len(service.http.get("/runs", params={"ticket": "T-H3"}).json()) == 1
    order_id = sandbox.order("cancelled.example")["order_id"]
    with RunStore(cli.home / "runs.db") as store:
        (entry,) = store.ledger.for_order(order_id)
    assert entry.evidence["source"] == "page_confirmation"
    exactly_once(sandbox, order_id, access=False)


def test_captcha_is_downloadable_and_only_the_runs_own_files(service: Service, cli: Cli,
                                                             sandbox: SandboxClient) -> None:
    paused = service.run("cancel_refund", "T-H4", "fresh-issued.example").json()
    assert paused["status"] == "needs_input", paused
    assert paused["next_action"]["command"] == {  # this door's guidance: the request to make
        "method": "POST", "path": f"/runs/{paused['run_id']}/resume",
        "body": {"inputs": {"image_number": "<VALUE>"}}}
    url = paused["next_action"]["artifact"]
    assert url.startswith(f"/runs/{paused['run_id']}/artifacts/captcha") and url in paused[
        "artifacts"]
    got = service.http.get(url)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    answer = sandbox.solve_captcha(got.content)
    waiting = service.resume(paused["run_id"], image_number=answer).json()
    assert waiting["status"] == "waiting", waiting
    with RunStore(cli.home / "runs.db") as store:  # kept for any machine
        assert store.files.get(paused["run_id"], "cookies.json") is not None
    for name in ("..%2F..%2Fruns.db", "nothing.png", "cookies.json"):
        refused = service.http.get(f"/runs/{paused['run_id']}/artifacts/{name}")
        assert refused.status_code == 404
        assert refused.json()["error"]["kind"] == "input"
    abandoned = service.http.post(f"/runs/{paused['run_id']}/abandon", json={"reason": "test"})
    assert (abandoned.json()["status"], abandoned.json()["next_action"]) == ("abandoned", None)
    again = service.resume(paused["run_id"])
    assert again.status_code == 200 and again.json()["status"] == "abandoned", again.text
    console_saw(sandbox, _order_id(sandbox, "fresh-issued.example"), access=1)  # no refund


def test_errors_are_json_with_kinds(service: Service) -> None:
    unknown = service.http.get("/runs/run-000000000000")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_run"
    flow = service.run("no_such_flow", "T-H5", "pending.example")
    assert flow.status_code == 404 and flow.json()["error"]["code"] == "unknown_flow"
    bad = service.http.post("/runs", json={"flow": "cancel_refund"})
    assert bad.status_code == 422 and bad.json()["error"]["kind"] == "input"
    big = service.http.post("/runs", content=b"{" + b" " * 100_000 + b"}",
                            headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "body_too_large"
    domain = service.run("cancel_refund", "T-H6", "nobody.example").json()
    assert (domain["status"], domain["error"]["code"]) == ("failed", "domain_not_found")


def test_a_token_is_required_beyond_loopback_and_checked(cli: Cli, tmp_path: Path) -> None:
    refused = cli("serve", "--host", "0.0.0.0", "--port", "0")
    assert refused.code == 2 and "CERTRUNNER_API_TOKEN" in refused.stdout
    guarded = Service(cli.env, tmp_path, "--workers", "1", token=TOKEN)
    try:
        anonymous = httpx.get(f"{guarded.url}/flows")
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
        wrong = httpx.get(f"{guarded.url}/flows", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert httpx.get(f"{guarded.url}/health").status_code == 200
        assert {f["name"] for f in guarded.http.get("/flows").json()} >= {"cancel_refund"}
    finally:
        assert guarded.stop() == 0


def test_sigterm_finishes_the_running_run_and_a_killed_one_resumes_on_restart(
        cli: Cli, tmp_path: Path, sandbox: SandboxClient,
        held_answers: threading.Event) -> None:
    sandbox.faults(latency_ms=400)
    first = Service(cli.env, tmp_path, "--workers", "1")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(first.run, "cancel_refund", "T-H7", "pending.example")
        _until_running(first, "T-H7")
        assert first.stop(signal.SIGTERM) == 0
        assert pending.result().json()["status"] == "succeeded"
    exactly_once(sandbox, _order_id(sandbox, "pending.example"), access=False)

    # Killed at the worst moment, known by a condition rather than by timing: the refund was
    # clicked and its answer is held back, so the run is mid-step with the ledger unconfirmed.
    sandbox.faults(latency_ms=0, write_fault="hold")
    killed = Service(cli.env, tmp_path, "--workers", "1")
    with ThreadPoolExecutor(1) as pool:
        lost = pool.submit(killed.run, "cancel_refund", "T-H8", "cancelled.example")
        assert held_answers.wait(timeout=300), "the refund POST never reached the console"
        console_saw(sandbox, _order_id(sandbox, "cancelled.example"), refund=1)
        killed.stop(signal.SIGKILL)
        with pytest.raises(httpx.TransportError):
            lost.result()
    (browser,) = [e["chromium_pid"] for e in killed.events("service_started")]
    wait_until(lambda: group_gone(browser), timedelta(seconds=60),
               f"the killed service's Chromium (pid {browser}) and its helpers ending with it")
    sandbox.faults(write_fault="none")
    restarted = Service(cli.env, tmp_path, "--workers", "1")
    try:
        (run,) = restarted.http.get("/runs", params={"ticket": "T-H8"}).json()
        resumed = restarted.resume(run["run_id"]).json()  # waits for the scheduler's resume
        assert (resumed["status"], resumed["outcome"]) == ("succeeded", "refunded"), resumed
        exactly_once(sandbox, _order_id(sandbox, "cancelled.example"), access=False)
        assert restarted.events("scheduler_tick")[0]["queued"] == 1
    finally:
        restarted.stop()
    with RunStore(cli.home / "runs.db") as store:
        (entry,) = store.ledger.for_order(sandbox.order("cancelled.example")["order_id"])
    assert entry.evidence["source"] == "console_after_crash"


def _until_running(service: Service, ticket: str) -> None:
    """Wait for the run to have finished a step (the service logs each step) and no more."""
    assert service.wait_for(
        lambda: any(e.get("ticket") == ticket for e in service.events("step"))), \
        "\n".join(service.lines[-20:])
