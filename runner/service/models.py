"""Request shapes of the HTTP API (validated by FastAPI), and the answers' shapes for the
OpenAPI document, taken from the one contract (``runner.app.contract.output_schema("http")``)
rather than described a second time."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from runner.app.contract import output_schema

# No control characters in what a caller types (a ticket, a domain): refused by the
# application layer anyway (runner.engine.caller_text), and said here so the API's own
# description does not call such a request valid.
PLAIN = r"^[^\x00-\x1f\x7f-\x9f]*$"
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=PLAIN)]
Inputs = Annotated[dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(
    max_length=2000)]], Field(max_length=20)]


class RunRequest(BaseModel):
    """Start a run; the same ticket and flow always answer with the same run."""

    model_config = ConfigDict(extra="forbid")
    flow: Name = Field(description="A flow name from GET /flows")
    ticket: Text = Field(description="Support ticket id: one run per ticket and flow")
    domain: Annotated[str, Field(min_length=1, max_length=253, pattern=PLAIN)] = Field(
        description="The certificate's domain, exactly as ordered")
    inputs: Inputs = Field(default_factory=dict, description="Further flow inputs")


class ResumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inputs: Inputs = Field(default_factory=dict, description=(
        "The inputs the run asked for (next_action.input), e.g. the captcha's image_number; "
        "none: a waiting run checks again now"))


class AbandonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=500)]


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


def contract_components() -> dict[str, Any]:
    """The contract's shapes as OpenAPI components (JSON Schema 2020-12, as OpenAPI 3.1 takes
    it), with references rewritten to where components live."""
    defs = output_schema("http")["$defs"]
    text = _rewrite_refs(defs)
    return {f"Contract_{name}": schema for name, schema in text.items()}


def contract_ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/Contract_{name}"}


def _rewrite_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (v.replace("#/$defs/", "#/components/schemas/Contract_")
                    if k == "$ref" and isinstance(v, str) else _rewrite_refs(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_refs(v) for v in value]
    return value
