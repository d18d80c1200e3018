"""Request and response shapes of the HTTP API, for validation and the OpenAPI document.

Responses are documented here but sent as the CLI's own JSON (``run_body``), so a field the
contract gains reaches HTTP and MCP callers without a change here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from runner.cli.runs import answer
from runner.engine.result import RunResult
from runner.error_codes import NextType


def run_body(result: RunResult) -> dict[str, Any]:
    """A run as ``certrunner ... --json`` prints it (the CLI's own renderer, so
    ``next_action.command`` is the same argv list): every door answers with one contract."""
    return answer(result)


Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Inputs = Annotated[dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(
    max_length=2000)]], Field(max_length=20)]


class RunRequest(BaseModel):
    """Start a run; the same ticket and flow always answer with the same run."""

    model_config = ConfigDict(extra="forbid")
    flow: Name = Field(description="A flow name from GET /flows")
    ticket: Text = Field(description="Support ticket id: one run per ticket and flow")
    domain: Annotated[str, Field(min_length=1, max_length=253)] = Field(
        description="The certificate's domain, exactly as ordered")
    inputs: Inputs = Field(default_factory=dict, description="Further flow inputs")


class ResumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inputs: Inputs = Field(default_factory=dict, description=(
        "The inputs the run asked for (next_action.input), e.g. the captcha's image_number"))


class AbandonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class Step(BaseModel):
    id: str
    status: str
    duration_ms: int


class NextActionBody(BaseModel):
    """What the caller does next; each type adds its own fields (docs/errors.md lists them)."""

    model_config = ConfigDict(extra="allow")
    type: NextType
    summary: str = Field(description="For the support agent")
    command: list[str] | None = Field(description=(
        "The CLI command to run next, as an argv list; an element holding <...> is a "
        "placeholder to fill in. Over HTTP or MCP, the same verb is the matching request"))


class RunBody(BaseModel):
    """The CLI's ``--json`` output for one run (README, docs/errors.md)."""

    model_config = ConfigDict(extra="allow")
    run_id: str | None
    ticket: str
    flow: str
    status: str
    outcome: str | None
    customer_message: str | None = Field(description="Safe to paste to the customer")
    next_action: NextActionBody | None
    outputs: dict[str, Any]
    steps: list[Step]
    error: dict[str, Any] | None
    artifacts: list[str]
    existing: bool


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str = Field(description="business | console | drift | input")
    code: str
    message: str


class ErrorBody(BaseModel):
    status: str = "failed"
    error: ErrorDetail


class FlowBody(BaseModel):
    name: str
    path: str
    description: str


class Health(BaseModel):
    status: str
    workers: int = 0
    busy: int = 0
    queued: int = 0
    ready: bool = False


class Queued(BaseModel):
    queued: int
