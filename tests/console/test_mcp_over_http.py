"""MCP over HTTP (`/mcp` of `certrunner serve`) with an operator's own token: the agent's
decisions are recorded under that operator's name, and a viewer's token decides nothing.

Beside the console's tests because it needs what they need: a service in a process of its own
and operators made with the CLI.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from runner.store.runs import RunStore
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.service import Service
from tests.threads import in_own_loop

pytestmark = pytest.mark.browser


def _call(url: str, token: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Make ``calls`` in one MCP session over HTTP, with ``token`` as the bearer."""

    async def session() -> list[Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=300) as client, \
                streamable_http_client(f"{url}/mcp", http_client=client) as streams, \
                ClientSession(streams[0], streams[1]) as mcp:
            await mcp.initialize()
            return [await mcp.call_tool(name, arguments) for name, arguments in calls]

    return in_own_loop(session, 600, "mcp-http-client")


def _run(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    return dict(json.loads(result.content[0].text))


def test_an_operators_token_over_mcp_records_the_operator(
        service: Service, sandbox: SandboxClient, tokens: dict[str, str], cli: Cli,
        tmp_path: Path) -> None:
    (started,) = _call(service.url, tokens["olga"], [("run_flow", {
        "flow": "cancel_refund", "ticket": "T-MH1", "domain": "fresh-issued.example"})])
    run = _run(started)
    assert run["status"] == "needs_input", run
    (image,) = [b for b in started.content if b.type == "image"]
    png = tmp_path / "captcha.png"
    png.write_bytes(base64.b64decode(image.data))
    answer = sandbox.solve_captcha(png)

    refused = httpx2.post(f"{service.url}/mcp", headers={
        "Authorization": f"Bearer {tokens['vic']}", "Accept": "application/json"}, json={})
    assert refused.status_code == 403 and "viewer" in refused.text

    (waiting,) = _call(service.url, tokens["olga"], [("resume_run", {
        "run_id": run["run_id"], "inputs": {"image_number": answer}})])
    assert _run(waiting)["status"] == "waiting"
    with RunStore(cli.home / "runs.db") as store:
        decisions = store.decisions.for_run(run["run_id"])
    assert [(d.actor, d.via, d.action) for d in decisions][-1] == ("olga", "mcp", "answer")
    assert all(d.actor == "olga" for d in decisions), decisions
