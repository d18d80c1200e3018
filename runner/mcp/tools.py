"""The MCP tools, each a thin call into the service with the CLI's JSON contract as its text.

The descriptions are written for an agent that knows nothing else about certrunner: what the
tool does, what each status means and which tool to call next. A run that waits for a captcha
answer also returns the captcha as an image content block, so a multimodal agent can read it.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Future
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from runner.app.answer import MCP, answer
from runner.app.people import Actor
from runner.app.warm import RunService
from runner.engine.next_action import ProvideInput
from runner.engine.result import RunResult
from runner.error_codes import NextType
from runner.errors import RunnerError

INSTRUCTIONS = """\
certrunner cancels and refunds SSL certificates on vendor consoles, one run per support ticket.
Start with run_flow (flow cancel_refund for "cancel and refund"; refund_check only tells whether a
refund is possible; cancel_only cancels without money). Every tool answers with one JSON run:
status succeeded or denied = finished (tell the customer `customer_message`); abandoned = a
person closed it, nothing more happens; needs_input = call resume_run with inputs
{next_action.input: your answer} (a captcha comes as an image: read the digits); waiting =
the customer must act first, the service re-checks by itself at next_action.next_check_at
(call get_run later, or resume_run to check now); queued = handed to the worker fleet, not
taken yet (call get_run later); failed = see error.kind: business (tell the customer), console
(retry later with resume_run), drift (alert the maintainers), input (fix the input and
resume_run with it). next_action.command is the tool call to make next ({tool, arguments}; a
value holding <...> is yours to fill in). Artifacts are URLs on the service; get_artifact
returns one. The same ticket always returns the same run; side effects (access request,
refund) never happen twice. A step only a person can take and you cannot check yourself
(confirm_side_effect: did an interrupted access request reach the customer; review_order,
check_order: the order on the consoles) goes to a person, who finds it in the console's inbox;
never guess it: answering retry to confirm_side_effect sends the request again."""


def instructions() -> str:
    """What the server tells an agent before any call: the guide above, then every
    next_action type with who acts and how (the catalogue's own words, so a new type reaches
    the agent without an edit here)."""
    kinds = "\n".join(f"- {t.value} ({t.who}): {t.meaning}" for t in NextType)
    return f"{INSTRUCTIONS}\n\nnext_action.type, who acts, and how:\n{kinds}"

RUN_TEXT = ("Returns the run as JSON: run_id, ticket, flow, status, outcome, customer_message "
            "(safe to paste to the customer), next_action (what to do next: type, summary, and "
            "command as the tool call {tool, arguments}), outputs, steps, error (kind, code, "
            "message, step), artifacts and existing; plus the captcha image when the run needs "
            "it read.")

Flow = Annotated[str, Field(description="Flow name from list_flows: cancel_refund, "
                                        "refund_check or cancel_only")]
Ticket = Annotated[str, Field(min_length=1, max_length=200,
                              description="The support ticket id; one run per ticket and flow")]
RunId = Annotated[str, Field(min_length=1, max_length=64,
                             description="The run_id returned by run_flow or list_runs")]
Inputs = Annotated[dict[str, str] | None, Field(
    description="Flow inputs by name, e.g. {\"image_number\": \"48213\"} for the captcha "
                "answer (next_action.input names the one asked for)")]


AGENT = Actor("mcp-agent", "mcp")


def caller(ctx: Context) -> Actor:
    """Who makes a decision through a tool: over HTTP, the operator whose own token the request
    carried (the service's guard names them in the request's scope); otherwise the agent
    (stdio, or the shared machine token)."""
    try:
        request = ctx.request_context.request
    except ValueError:
        return AGENT
    state = getattr(request, "scope", {}).get("state") or {}
    actor = state.get("actor")
    return actor if isinstance(actor, Actor) else AGENT


def build_mcp(service: RunService) -> MCPServer:
    server: MCPServer = MCPServer("certrunner", instructions=instructions(),
                                      log_level="WARNING")
    answerer = _Answerer(service)

    @server.tool(structured_output=False,
                 description="List the flows that can be run, with what each one does.")
    async def list_flows() -> str:
        return json.dumps(service.list_flows(), indent=2)

    @server.tool(structured_output=False, description=(
        "Run a flow for one support ticket and wait until it finishes or pauses. Calling it "
        "again for the same ticket and flow returns the existing run (existing: true) and "
        "starts nothing. " + RUN_TEXT))
    async def run_flow(flow: Flow, ticket: Ticket,
                       domain: Annotated[str, Field(min_length=1, max_length=253, description=(
                           "The certificate's domain, exactly as ordered"))],
                       ctx: Context, inputs: Inputs = None) -> list[Any]:
        actor = caller(ctx)
        return await answerer.wait(lambda: service.run_flow(
            flow, ticket, {"domain": domain, **(inputs or {})}, actor))

    @server.tool(structured_output=False, description=(
        "Continue a paused or failed run from the step it stopped at, with the inputs it asked "
        "for (e.g. the captcha answer); with no inputs, a waiting run checks again now. "
        + RUN_TEXT))
    async def resume_run(run_id: RunId, ctx: Context, inputs: Inputs = None) -> list[Any]:
        actor = caller(ctx)
        return await answerer.wait(lambda: service.resume_run(run_id, dict(inputs or {}), actor))

    @server.tool(structured_output=False, description="The current state of one run. " + RUN_TEXT)
    async def get_run(run_id: RunId) -> list[Any]:
        return answerer.now(lambda: service.get_run(run_id))

    @server.tool(structured_output=False, description=(
        "List runs, newest first, filtered by ticket, flow and/or status (queued, running, "
        "succeeded, denied, waiting, needs_input, failed, abandoned; another status is an "
        "error). Returns a JSON list of runs."))
    async def list_runs(ticket: Annotated[str | None, Field(max_length=200)] = None,
                        flow: Annotated[str | None, Field(max_length=64)] = None,
                        status: Annotated[str | None, Field(max_length=20)] = None,
                        limit: Annotated[int, Field(ge=1, le=200)] = 20) -> str:
        found = answerer.guard(lambda: service.list_runs(ticket=ticket, flow=flow,
                                                         status=status, limit=limit))
        return json.dumps([answer(r, MCP) for r in found], indent=2, default=str)

    @server.tool(structured_output=False, description=(
        "Give up a paused or failed run for good (e.g. the customer withdrew the ticket): it is "
        "never resumed again; abandoning it twice changes nothing. Refused while a side effect "
        "of the run is unconfirmed (the error names what to check on which console). Side "
        "effects already done are not undone. " + RUN_TEXT))
    async def abandon_run(run_id: RunId, reason: Annotated[str, Field(
            min_length=1, max_length=500, description="Why, for the audit trail")],
                          ctx: Context) -> list[Any]:
        actor = caller(ctx)
        return answerer.now(lambda: service.abandon_run(run_id, reason, actor))

    @server.tool(structured_output=False, description=(
        "One artifact of a run by name (the last part of a URL in the run's artifacts), e.g. "
        "the captcha image a needs_input run asks to read; images come back as images."))
    async def get_artifact(run_id: RunId, name: Annotated[str, Field(
            min_length=1, max_length=200, description="The artifact's file name")]) -> list[Any]:
        content, media_type = answerer.guard(lambda: service.artifact(run_id, name))
        if media_type.startswith("image/"):
            return [Image(data=content, format=media_type.removeprefix("image/"))]
        return [f"{name}: {media_type}, {len(content)} bytes; fetch it over HTTP at "
                f"/runs/{run_id}/artifacts/{name}"]

    return server


class _Answerer:
    """Turns service calls into tool content; runner errors become tool errors with the
    CLI's error JSON, so the agent sees kind and code."""

    def __init__(self, service: RunService) -> None:
        self.service = service

    def guard(self, call: Any) -> Any:
        try:
            return call()
        except RunnerError as exc:
            raise ToolError(json.dumps({"status": "failed", "error": exc.to_dict()})) from exc

    async def wait(self, start: Any) -> list[Any]:
        future: Future[RunResult] = self.guard(start)
        try:
            result = await asyncio.wrap_future(future)
        except RunnerError as exc:
            raise ToolError(json.dumps({"status": "failed", "error": exc.to_dict()})) from exc
        return self.content(result)

    def now(self, call: Any) -> list[Any]:
        return self.content(self.guard(call))

    def content(self, result: RunResult) -> list[Any]:
        blocks: list[Any] = [json.dumps(answer(result, MCP), indent=2, default=str)]
        image = self.captcha(result)
        if image is not None:
            blocks.append(image)
        return blocks

    def captcha(self, result: RunResult) -> Image | None:
        """The image a needs_input run asks to read, from this machine or the store."""
        action = result.next_action
        if (result.status != "needs_input" or not isinstance(action, ProvideInput)
                or not action.artifact or not result.run_id):
            return None
        content, media_type = self.service.artifact(result.run_id, Path(action.artifact).name)
        return Image(data=content, format=media_type.removeprefix("image/"))
