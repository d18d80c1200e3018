"""One application layer, so one answer: the same ticket asked at every door (the command line,
HTTP, MCP and the queue) is the same run with the same status, outcome, customer message and
outputs; only each door's own guidance differs (an argv, a request, a tool call)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from sandbox.server import SandboxServer
from tests.contract import check_document
from tests.e2e.cli import ROOT, Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.service import Service
from tests.threads import in_own_loop

SAME = ("run_id", "ticket", "flow", "status", "outcome", "customer_message", "outputs", "error")


def _same(one: dict[str, Any], other: dict[str, Any]) -> None:
    assert {k: one[k] for k in SAME} == {k: other[k] for k in SAME}
    assert one["next_action"]["type"] == other["next_action"]["type"]
    assert one["next_action"]["summary"] == other["next_action"]["summary"]


def _mcp(cli: Cli, tmp_path: Path, flow: str, ticket: str, domain: str) -> dict[str, Any]:
    server = StdioServerParameters(command=sys.executable,
                                   args=[str(ROOT / "run.py"), "mcp", "--workers", "1"],
                                   env=cli.env, cwd=str(tmp_path))

    async def ask() -> dict[str, Any]:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            done = await session.call_tool("run_flow", {"flow": flow, "ticket": ticket,
                                                        "domain": domain})
            assert not done.is_error, done.content
            return dict(check_document("MCP", json.loads(done.content[0].text), "mcp"))

    return in_own_loop(ask, 300, "mcp-client")


def test_the_same_ticket_gets_the_same_answer_at_every_door(
        cli_process: Cli, sandbox: SandboxClient, sandbox_server: SandboxServer,
        tmp_path: Path) -> None:
    """Every door a process of its own, the command line's too (its process smoke of run and
    enqueue)."""
    cli = cli_process
    ticket, domain = "T-DOORS", "fresh-issued.example"
    first = cli("run", "cancel_refund", "--ticket", ticket, "--domain", domain, "--json")
    assert first.code == 3 and first.data["status"] == "needs_input", first.stdout
    run_id = first.data["run_id"]
    order = sandbox.order(domain)["order_id"]
    before = sandbox.posts(order)
    assert first.data["next_action"]["command"] == [
        "certrunner", "resume", run_id, "--input", "image_number=<VALUE>", "--json"]

    service = Service(cli.env, tmp_path, "--workers", "1")
    try:
        over_http = service.run("cancel_refund", ticket, domain).json()
    finally:
        service.stop()
    _same(first.data, over_http)
    assert over_http["existing"] is True
    assert over_http["next_action"]["command"] == {
        "method": "POST", "path": f"/runs/{run_id}/resume",
        "body": {"inputs": {"image_number": "<VALUE>"}}}

    over_mcp = _mcp(cli, tmp_path, "cancel_refund", ticket, domain)
    _same(first.data, over_mcp)
    assert over_mcp["next_action"]["command"] == {
        "tool": "resume_run", "arguments": {"run_id": run_id,
                                            "inputs": {"image_number": "<VALUE>"}}}

    queued = cli("enqueue", "cancel_refund", "--ticket", ticket, "--domain", domain,
                 "--broker", "redis://127.0.0.1:9/0", "--json")  # nothing to send: it exists
    assert queued.code == 0 and queued.data["queued"] is False, queued.stdout
    _same(first.data, queued.data)
    assert sandbox.posts(order) == before  # asking again at three more doors clicked nothing
