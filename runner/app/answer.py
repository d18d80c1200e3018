"""One result-to-JSON for every door; each door brings only its own way to say "do this next".

The engine says what to run next as data (``Command``: verb, run, inputs, flow, ticket, domain)
and lists artifacts by path. A door renders both in its own terms: the command line an argv list
and absolute paths on this machine; HTTP a request (method, path, body) and artifact URLs; MCP a
tool call and the same URLs. Everything else in the answer is the same at every door.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.engine.next_action import Command, NextAction, Verb
from runner.engine.result import RunResult


@dataclass(frozen=True)
class Door:
    """How one door writes a next action's command and an artifact."""

    name: str  # cli | http | mcp
    command: Callable[[Command], Any]
    artifact: Callable[[str, str], str]  # (run_id, path as listed) -> what the caller opens


def answer(result: RunResult, door: Door) -> dict[str, Any]:
    """The run as ``door``'s callers read it (the contract: ``certrunner schema``)."""
    out = result.to_dict()
    out["next_action"] = _action(result.next_action, door)
    if result.run_id:
        out["artifacts"] = [door.artifact(result.run_id, p) for p in result.artifacts]
        action = out["next_action"]
        if action and action.get("artifact"):
            action["artifact"] = door.artifact(result.run_id, action["artifact"])
    return out


def _action(action: NextAction | None, door: Door) -> dict[str, Any] | None:
    if action is None:
        return None
    out = action.to_dict()
    out["command"] = door.command(action.command) if action.command else None
    previous = getattr(action, "previous", None)
    if isinstance(previous, NextAction):
        out["previous"] = _action(previous, door)
    return out


# HTTP and MCP: the same verbs as requests and tool calls.

def http_request(command: Command) -> dict[str, Any]:
    """The request that does ``command`` on the HTTP API."""
    run = command.run_id or "<RUN_ID>"
    if command.verb is Verb.RUN:
        return {"method": "POST", "path": "/runs", "body": {
            "flow": command.flow or "<FLOW>", "ticket": command.ticket or "<TICKET>",
            "domain": command.domain or "<DOMAIN>", "inputs": dict(command.inputs)}}
    if command.verb is Verb.RESUME:
        return {"method": "POST", "path": f"/runs/{run}/resume",
                "body": {"inputs": dict(command.inputs)}}
    return {"method": "GET", "path": f"/runs/{run}", "body": None}


def mcp_call(command: Command) -> dict[str, Any]:
    """The MCP tool call that does ``command``."""
    if command.verb is Verb.RUN:
        return {"tool": "run_flow", "arguments": {
            "flow": command.flow or "<FLOW>", "ticket": command.ticket or "<TICKET>",
            "domain": command.domain or "<DOMAIN>", "inputs": dict(command.inputs)}}
    run = command.run_id or "<RUN_ID>"
    if command.verb is Verb.RESUME:
        return {"tool": "resume_run", "arguments": {"run_id": run,
                                                    "inputs": dict(command.inputs)}}
    return {"tool": "get_run", "arguments": {"run_id": run}}


def artifact_url(run_id: str, listed: str) -> str:
    """Where HTTP (and MCP) callers fetch a listed artifact: by the file's name."""
    return f"/runs/{run_id}/artifacts/{Path(listed).name}"


HTTP = Door("http", http_request, artifact_url)
MCP = Door("mcp", mcp_call, artifact_url)
