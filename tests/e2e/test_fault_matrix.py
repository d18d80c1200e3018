"""The fault-and-kill matrix: console faults at every step boundary of both branches, SIGKILL at
seeded random points, and concurrent tickets for one order. Whatever happens, each run reaches
its right end through what its answers say (``Agent``), and money and mail happen once per order.

`make test` runs all of them (and CI with it); `-m 'not faults'` leaves out all but the cases
marked fast, `make test-faults` runs the matrix alone.
"""

from __future__ import annotations

import json
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from runner.browser.session import RunSession
from runner.config import Config
from runner.store.runs import RunStatus, RunStore
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.faults_harness import Agent, Traps, impatient, meet, run_of
from tests.e2e.once import exactly_once
from tests.e2e.test_cli_recovery import customer

# started first (tests/conftest.py); a test may take minutes on a busy machine
pytestmark = [pytest.mark.long, pytest.mark.timeout(900)]


PENDING, ISSUED = "pending.example", "fresh-issued.example"
# The commands of each branch's happy path, by index: pending: 0 run (refunds at once);
# issued: 0 run (order, info, captcha: needs_input), 1 resume with the answer (access, first
# poll: waiting), 2 resume after the customer cancelled (poll, refund).


@dataclass(frozen=True)
class Case:
    branch: str  # pending | issued
    command: int
    method: str
    path: str
    mode: str
    fast: bool = False

    @property
    def id(self) -> str:
        return f"{self.branch}-{self.command}-{self.method}{self.path}-{self.mode}"


_WRITES = ("error", "hold", "kill_before", "kill_after")
FAST = {("pending", "*/refund", "kill_before"), ("issued", "/geotrust/", "error"),
        ("issued", "/geotrust/request-access", "kill_after"), ("issued", "*/refund", "hold")}
CASES = [
    Case("pending", 0, "GET", "/pm/search", "down"),
    *(Case("pending", 0, "POST", "*/refund", m) for m in _WRITES),
    Case("issued", 0, "GET", "/symantec/*", "down"),
    Case("issued", 0, "GET", "/geotrust/", "down"),
    *(Case("issued", 1, "POST", path, m) for path in ("/geotrust/", "/geotrust/request-access")
      for m in _WRITES),
    Case("issued", 1, "GET", "/pm/customers/*/products", "down"),
    Case("issued", 2, "GET", "/pm/customers/*/products", "down"),
    *(Case("issued", 2, "POST", "*/refund", m) for m in _WRITES),
]
KILL_SEEDS = range(8)
# Console requests (page loads, the captcha image, form posts) each command of the happy path
# makes at the least (counted with a trap that never fires): a kill at any of them lands.
CONSOLE_REQUESTS = {("pending", 0): 4, ("issued", 0): 14, ("issued", 1): 5, ("issued", 2): 3}


def _param(case: Case) -> object:
    marks = [] if (case.branch, case.path, case.mode) in FAST else [pytest.mark.faults]
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture
def agent_for(cli: Cli, sandbox: SandboxClient, config: Config,
              make_session: Callable[[Config], RunSession]) -> Callable[[str], Agent]:
    def make(domain: str) -> Agent:
        order_id = sandbox.order(domain)["order_id"]
        return Agent(cli, sandbox, order_id, customer(make_session, config, f"admin@{domain}"))
    return make


def _happy(cli: Cli, agent: Agent, ticket: str, domain: str, command: int) -> tuple[str, ...]:
    """Take the branch's happy path up to ``command``; answer that command's arguments."""
    run = ("run", "cancel_refund", "--ticket", ticket, "--domain", domain, "--json")
    if command == 0:
        return run
    first = cli(*run)
    run_id = first.data["run_id"]
    answer = agent.sandbox.solve_captcha(Path(first.data["next_action"]["artifact"]))
    resume = ("resume", run_id, "--input", f"image_number={answer}", "--json")
    if command == 1:
        return resume
    assert cli(*resume).data["status"] == "waiting"
    assert agent.customer_cancels is not None
    agent.customer_cancels()
    agent.cancelled = True
    return ("resume", run_id, "--json")


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_fault_at_a_step_boundary(case: Case, cli: Cli, sandbox: SandboxClient, traps: Traps,
                                  agent_for: Callable[[str], Agent]) -> None:
    domain = PENDING if case.branch == "pending" else ISSUED
    agent = agent_for(domain)
    args = _happy(cli, agent, "T-M", domain, case.command)
    trap = traps.arm(case.method, case.path, case.mode)
    met = meet(cli, traps, args, trap)
    assert trap.fired, f"the command never met {case.id}"
    sandbox.faults(down="")
    if met is not None:
        assert met.data is not None and met.code in (0, 1, 3), met.stderr
    if case.mode == "hold":  # the evidence was read off the tab the held answer left behind
        (bundle,) = [a for a in met.data["artifacts"] if Path(a).name.startswith("evidence-")]
        with zipfile.ZipFile(bundle) as evidence:
            tabs = json.loads(evidence.read("tabs.json"))
            assert not [t for t in tabs.values() if "unreadable" in t], tabs
            console = "geotrust" if "geotrust" in case.path else "pm"
            assert "<form" in evidence.read(f"{console}.html").decode()
    run_id = run_of(cli, "T-M")["run_id"]
    done = agent.finish(run_id)
    assert (done["status"], done["outcome"]) == ("succeeded", "refunded")
    exactly_once(sandbox, agent.order_id, access=case.branch == "issued")


@pytest.mark.parametrize("seed", [pytest.param(s, marks=[] if s == 0 else [pytest.mark.faults])
                                  for s in KILL_SEEDS])
def test_sigkill_at_a_random_point(seed: int, cli: Cli, sandbox: SandboxClient, traps: Traps,
                                   agent_for: Callable[[str], Agent]) -> None:
    """SIGKILL one command of the happy path at a seeded random point: while its kth console
    request (any page, any console) waits to be served, or waits for its answer once served.
    The kill lands every time: the process dies of it (-9) holding its run's lease."""
    rng = random.Random(seed)
    branch = rng.choice(("pending", "issued"))
    domain = PENDING if branch == "pending" else ISSUED
    command = rng.randrange(3) if branch == "issued" else 0
    nth = rng.randint(1, CONSOLE_REQUESTS[branch, command])
    mode = rng.choice(("kill_before", "kill_after"))
    agent = agent_for(domain)
    args = _happy(cli, agent, "T-K", domain, command)
    trap = traps.arm("*", "*", mode, nth=nth)
    assert meet(cli, traps, args, trap) is None, f"{mode} at request {nth}: not killed"
    assert trap.fired and trap.killed == -9, (trap.seen, trap.killed)
    with RunStore(cli.home / "runs.db") as store:
        (run,) = store.find_runs_by_ticket("T-K")
    assert run.status is RunStatus.RUNNING and run.lease_owner, (run.status, run.lease_owner)
    done = agent.finish(run.run_id)
    assert (done["status"], done["outcome"]) == ("succeeded", "refunded")
    exactly_once(sandbox, agent.order_id, access=branch == "issued")


@pytest.mark.parametrize("domain", [pytest.param(PENDING, marks=pytest.mark.faults), ISSUED])
def test_concurrent_tickets_for_one_order_with_a_lost_answer(
        domain: str, cli: Cli, sandbox: SandboxClient, traps: Traps,
        agent_for: Callable[[str], Agent]) -> None:
    """Three tickets at once; the console's answer to the first click is lost (held until that
    process gives up), while the others ask for the same effect on the same order."""
    agent = agent_for(domain)
    tickets = ("T-C1", "T-C2", "T-C3")
    if domain == ISSUED:  # every ticket gets to its captcha first
        for ticket in tickets:
            assert cli.run("cancel_refund", ticket, domain).data["status"] == "needs_input"
    args = [_concurrent_args(cli, agent, ticket, domain) for ticket in tickets]
    trap = traps.arm("POST", "*/refund" if domain == PENDING else "/geotrust/request-access",
                     "hold")
    config = impatient(cli)
    processes = [cli.start(*a, config=config) for a in args]
    try:
        for process in processes:
            process.communicate(timeout=240)
    finally:
        traps.disarm()
    assert trap.fired and not trap.held_out
    finals = []
    for ticket in tickets:
        run_id = run_of(cli, ticket)["run_id"]
        finals.append(agent.finish(run_id, limit=20))
    assert all(f["status"] == "succeeded" for f in finals)
    assert [f["outcome"] for f in finals].count("refunded") <= 1
    exactly_once(sandbox, agent.order_id, access=domain == ISSUED)


def _concurrent_args(cli: Cli, agent: Agent, ticket: str, domain: str) -> tuple[str, ...]:
    if domain == PENDING:
        return ("run", "cancel_refund", "--ticket", ticket, "--domain", domain, "--json")
    data = run_of(cli, ticket)
    answer = agent.sandbox.solve_captcha(Path(data["next_action"]["artifact"]))
    return ("resume", data["run_id"], "--input", f"image_number={answer}", "--json")
