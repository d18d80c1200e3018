"""No secret in anything a door writes, at DEBUG level: the Symantec password, the Symantec
session cookie and the captcha answer are searched (tests/leaks.py) in every file under each
door's home (the run store with its write-ahead log, artifacts: traces, screenshots and their
neighbours) and in everything the door logged, after real runs that logged in, read a captcha,
had it answered and failed with a trace kept.

Each scan first finds a planted copy of every secret next to what the door wrote (the positive
control: the scan reads those very folders), and then nothing else but the state kept on
purpose to resume a console session (``tests.leaks.assert_no_secret``). The queue's workers
are scanned the same way in tests/workers/test_worker_secrets.py.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from runner.browser.session import RunSession
from runner.cli.demo_customer import cancel_certificate
from runner.config import Config
from sandbox.server import SandboxServer
from tests.e2e.cli import ROOT, Answer, Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.faults_harness import Traps
from tests.e2e.service import Service
from tests.leaks import assert_no_secret

pytestmark = [pytest.mark.long, pytest.mark.timeout(900)]

DEBUG = {"CERTRUNNER_LOG_LEVEL": "debug"}


def _issued(sandbox: SandboxClient, domain: str) -> dict[str, Any]:
    """A recent issued order of this test's own (a login, a captcha, an access request)."""
    return sandbox.add_order(domain=domain, state="issued",
                             purchased_at=sandbox.clock.now() - timedelta(days=2))


def _password(config: Config) -> str:
    return config.console("symantec").credentials()[1]


def _chatty(log: str) -> bool:
    """Whether the log holds lines below warning: the DEBUG level asked for was taken (the
    runner logs nothing at debug itself, so every level it logs at is then written)."""
    return any(json.loads(line).get("level") in ("debug", "info")
               for line in log.splitlines() if line.startswith("{"))


def test_the_cli(cli: Cli, sandbox: SandboxClient, traps: Traps, config: Config,
                 make_session: Callable[[Config], RunSession]) -> None:
    """Through the CLI: an issued order to its refund; one failing at GeoTrust right after
    the Symantec login (a trace of a logged-in console); one failing right after its captcha
    answer was typed (a trace of the GeoTrust form)."""
    logs: dict[str, str] = {}
    answers: list[str] = []

    def call(*args: str) -> Answer:
        answer = cli(*args, "--json", "--log-level", "debug")
        logs[f"cli {' '.join(args)}"] = answer.stdout + answer.stderr
        assert answer.data is not None, answer.stderr
        assert _chatty(answer.stderr), f"no log below warning: {answer.stderr[-500:]}"
        return answer

    def answered(first: Answer) -> tuple[str, ...]:
        answers.append(sandbox.solve_captcha(Path(first.data["next_action"]["artifact"])))
        return ("resume", first.data["run_id"], "--input", f"image_number={answers[-1]}")

    order = _issued(sandbox, "secret-cli.example")
    first = call("run", "cancel_refund", "--ticket", "T-S1", "--domain", order["domain"])
    assert first.data["status"] == "needs_input", first.stderr
    assert call(*answered(first)).data["status"] == "waiting"
    cancel_certificate(make_session(config), order["admin_email"])
    done = call("resume", first.data["run_id"])
    assert (done.data["status"], done.data["outcome"]) == ("succeeded", "refunded")

    _issued(sandbox, "secret-login.example")
    sandbox.faults(down="geotrust")
    after_login = call("run", "cancel_refund", "--ticket", "T-S2", "--domain",
                       "secret-login.example")
    assert after_login.data["error"]["kind"] == "console", after_login.stderr
    assert any(p.endswith(".zip") for p in after_login.data["artifacts"])
    sandbox.faults(down="")

    _issued(sandbox, "secret-answer.example")
    asked = call("run", "cancel_refund", "--ticket", "T-S3", "--domain", "secret-answer.example")
    traps.arm("GET", "/pm/customers/*/products", "down")  # the poll after the access request
    after_answer = call(*answered(asked))
    assert after_answer.data["error"]["step"] == "cancelled", after_answer.stderr
    assert any(p.endswith(".zip") for p in after_answer.data["artifacts"])
    sandbox.faults(down="")

    assert_no_secret([cli.home], logs, _password(config), answers,
                     must_scan=("runs.db", "symantec.json"))


def test_the_service(cli: Cli, sandbox: SandboxClient, tmp_path: Path, config: Config) -> None:
    """Through HTTP, the home scanned while the service runs: the store's write-ahead log is
    there to read."""
    order = _issued(sandbox, "secret-http.example")
    service = Service({**cli.env, **DEBUG}, tmp_path, "--workers", "1")
    try:
        paused = service.run("cancel_refund", "T-S4", order["domain"]).json()
        assert paused["status"] == "needs_input", paused
        image = service.http.get(paused["next_action"]["artifact"])  # a URL over HTTP
        answer = sandbox.solve_captcha(image.content)
        waiting = service.resume(paused["run_id"], image_number=answer).json()
        assert waiting["status"] == "waiting", waiting
        assert _chatty("\n".join(service.lines)), "the service logged nothing below warning"
        assert_no_secret([cli.home], {"service stderr": "\n".join(service.lines)},
                         _password(config), [answer], must_scan=("runs.db", "runs.db-wal"))
    finally:
        assert service.stop() == 0


def test_mcp(sandbox: SandboxClient, sandbox_server: SandboxServer, tmp_path: Path,
             config: Config) -> None:
    """Through MCP over stdio: the server's stderr goes to a file that is scanned with the
    home."""
    order = _issued(sandbox, "secret-mcp.example")
    home = tmp_path / "home"
    home.mkdir()
    env = {**Cli(sandbox.url, Path(sandbox_server.db_path), home).env, **DEBUG}
    server = StdioServerParameters(command=sys.executable,
                                   args=[str(ROOT / "run.py"), "mcp", "--workers", "1"],
                                   env=env, cwd=str(home))
    answers: list[str] = []
    log = tmp_path / "mcp-stderr.log"

    async def conversation() -> None:
        with log.open("w") as errlog:
            async with stdio_client(server, errlog=errlog) as (read, write), \
                    ClientSession(read, write) as session:
                await session.initialize()
                started = await session.call_tool("run_flow", {
                    "flow": "cancel_refund", "ticket": "T-S5", "domain": order["domain"]})
                run = json.loads(started.content[0].text)
                assert run["status"] == "needs_input", run
                (image,) = [b for b in started.content if b.type == "image"]
                answers.append(sandbox.solve_captcha(base64.b64decode(image.data)))
                waiting = await session.call_tool("resume_run", {
                    "run_id": run["run_id"], "inputs": {"image_number": answers[-1]}})
                assert json.loads(waiting.content[0].text)["status"] == "waiting"

    errors: list[BaseException] = []

    def talk() -> None:
        try:
            anyio.run(conversation)
        except BaseException as exc:  # raised in the test's thread below
            errors.append(exc)

    talking = threading.Thread(target=talk, daemon=True)
    talking.start()
    talking.join(600)
    assert not talking.is_alive(), "the MCP conversation did not end in 10 minutes"
    if errors:
        raise errors[0]
    text = log.read_text()
    assert _chatty(text), "the MCP server logged nothing below warning"
    assert_no_secret([home], {"mcp stderr": text}, _password(config), answers,
                     must_scan=("runs.db",))
