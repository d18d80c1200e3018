"""An agent's whole conversation over MCP: the SDK's own client drives `certrunner mcp` (a real
subprocess over stdio) through an issued order, using only what the tools return: captcha
image -> answer -> waiting -> the customer cancels -> refunded, once."""

from __future__ import annotations

import base64
import json
import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from runner.browser.session import RunSession
from runner.cli.demo_customer import cancel_certificate
from runner.config import Config
from runner.error_codes import NextType
from sandbox.server import SandboxServer
from tests.contract import check_document
from tests.e2e.cli import ROOT, Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.once import exactly_once

TOOLS = {"get_artifact", "list_flows", "run_flow", "get_run", "list_runs", "resume_run",
         "abandon_run"}


def _run_of(result: Any) -> dict[str, Any]:
    """A tool's run, checked against the CLI's output schema (one contract across doors)."""
    assert not result.is_error, result.content
    return dict(check_document("an MCP tool", json.loads(result.content[0].text), "mcp"))


@pytest.mark.timeout(900)  # a conversation: three browser-opening tool calls and a customer
def test_agent_refunds_an_issued_order_through_the_mcp_tools(
        sandbox: SandboxClient, sandbox_server: SandboxServer, tmp_path: Path, config: Config,
        make_session: Callable[[Config], RunSession]) -> None:
    env = Cli(sandbox.url, Path(sandbox_server.db_path), tmp_path).env
    server = StdioServerParameters(command=sys.executable,
                                   args=[str(ROOT / "run.py"), "mcp", "--workers", "1"],
                                   env=env, cwd=str(tmp_path))
    seen: dict[str, Any] = {}
    # The agent talks in its own thread (its own event loop); the customer acts in this one,
    # which owns the test's browser: the agent hands over the email and waits until done.
    customer_email: queue.Queue[str | None] = queue.Queue()
    customer_done = threading.Event()

    async def conversation() -> None:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            told = (await session.initialize()).instructions or ""
            # An agent learns every next step from the server alone, and not to guess a
            # person's: each next_action type with who acts, before any call.
            assert all(f"- {t.value} ({t.who}): " in told for t in NextType), told
            assert "never guess" in told
            tools = (await session.list_tools()).tools
            assert {t.name for t in tools} == TOOLS
            assert all(t.description and t.input_schema for t in tools)

            started = await session.call_tool("run_flow", {
                "flow": "cancel_refund", "ticket": "T-M1", "domain": "fresh-issued.example"})
            run = _run_of(started)
            assert run["status"] == "needs_input", run
            assert run["next_action"]["command"] == {  # this door's guidance: the tool to call
                "tool": "resume_run",
                "arguments": {"run_id": run["run_id"], "inputs": {"image_number": "<VALUE>"}}}
            (image,) = [b for b in started.content if b.type == "image"]
            assert image.mime_type == "image/png"
            png = tmp_path / "seen-by-agent.png"
            png.write_bytes(base64.b64decode(image.data))
            answer = sandbox.solve_captcha(png)  # the agent reads the digits

            waiting = _run_of(await session.call_tool("resume_run", {
                "run_id": run["run_id"], "inputs": {run["next_action"]["input"]: answer}}))
            assert waiting["status"] == "waiting", waiting
            email = waiting["outputs"]["info"]["admin_email"]
            customer_email.put(email)
            assert await anyio.to_thread.run_sync(customer_done.wait, 300)

            done = _run_of(await session.call_tool("resume_run", {"run_id": run["run_id"]}))
            assert (done["status"], done["outcome"]) == ("succeeded", "refunded"), done
            again = _run_of(await session.call_tool("run_flow", {
                "flow": "cancel_refund", "ticket": "T-M1", "domain": "fresh-issued.example"}))
            assert again["run_id"] == run["run_id"] and again["existing"] is True
            listed = await session.call_tool("list_runs", {"ticket": "T-M1"})
            assert [r["run_id"] for r in check_document("list_runs", json.loads(
                listed.content[0].text), "mcp")] == [run["run_id"]]
            missing = await session.call_tool("get_run", {"run_id": "run-000000000000"})
            assert missing.is_error and "unknown_run" in missing.content[0].text
            seen["done"] = done

    def agent() -> None:
        try:
            anyio.run(conversation)
        except BaseException as exc:
            seen["error"] = exc
        finally:
            customer_email.put(None)

    talking = threading.Thread(target=agent)
    talking.start()
    email = customer_email.get(timeout=900)
    if email is not None:
        customer = make_session(config)
        cancel_certificate(customer, email)
        customer_done.set()
    talking.join(timeout=900)
    if "error" in seen:
        raise seen["error"]
    assert seen["done"]["customer_message"]
    order = sandbox.order("fresh-issued.example")
    assert order["state"] == "refunded"
    exactly_once(sandbox, order["order_id"], access=True)
