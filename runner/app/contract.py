"""The output contract as a JSON Schema (draft 2020-12), built from the code that makes the output.

One description for every door: ``certrunner schema`` prints it for the command line, and the
service's ``/openapi.json`` carries the same run shapes for HTTP (``output_schema("http")``);
only ``next_action.command`` differs by door (an argv, a request, a tool call).

Agents, cron and the HTTP/MCP doors depend on this shape; ``certrunner schema`` prints it and
every JSON output in the tests is validated against it. The enums come from the code: run statuses
from the store, error kinds, error codes and next-action types (with what each means) from the
catalogue in ``runner.error_codes``, the fields from ``RunResult``; so a value added there cannot
be missing here. ``docs/contract.md`` is checked against it by a unit test.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from runner.engine.result import RunResult
from runner.error_codes import NEXT_MEANING, ErrorCode, Kind
from runner.store.runs import RunStatus

SCHEMA_ID = "https://certrunner.invalid/schema/output.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

STATUS_MEANING: dict[str, str] = {
    "queued": "handed to the workers, none has taken it yet (queued_at says since when); ask "
              "again later (exit 3)",
    "succeeded": "finished; tell the customer customer_message (exit 0)",
    "denied": "finished, policy said no (refund window); tell the customer, maybe offer the "
              "next_action (exit 0)",
    "waiting": "paused for the outside world (the customer); resume --due picks it up (exit 3)",
    "needs_input": "paused for a person (captcha, a side effect to confirm); give the input "
                   "with next_action.command (exit 3)",
    "failed": "stopped; error.kind says who acts, next_action says how to go on (exit 1, or 2 "
              "for bad input)",
    "running": "another process holds the run right now; ask again in a minute (exit 3)",
    "abandoned": "a person gave the run up (runs abandon); nothing more will happen (exit 0)",
}

KIND_MEANING: dict[str, str] = {
    Kind.BUSINESS: "policy or the console's state says no and the run cannot go on: tell the "
                   "customer (after a person's check, for review_order)",
    Kind.CONSOLE: "a console is down or slow: retry later (resume the run)",
    Kind.DRIFT: "a vendor page changed or the runner has a bug: alert the maintainers",
    Kind.INPUT: "something a person gave is wrong (the ticket's data, the command, a captcha "
                "answer rejected too often): fix or check it, then resume or re-run",
}
NEXT_ACTION_MEANING: dict[str, str] = {str(t): m for t, m in NEXT_MEANING.items()}

STEP_STATUSES = ("done", "skipped", "paused", "failed", "denied", "ended", "retry")

_NULLABLE_STRING = {"type": ["string", "null"]}
_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}


def statuses() -> list[str]:
    """Every run status the store can hold; a status without a meaning above is a bug."""
    return [s.value for s in RunStatus]


def _described(meanings: dict[str, str], values: list[str]) -> dict[str, Any]:
    return {"oneOf": [{"const": v, "description": meanings.get(v, "")} for v in values]}


def _error() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Why the run stopped; internal detail, not for the customer.",
        "required": ["kind", "code", "message"],
        "properties": {
            "kind": _described(KIND_MEANING, list(KIND_MEANING)),
            "code": _described({str(c): c.meaning for c in ErrorCode},
                               [str(c) for c in ErrorCode]),
            "message": {"type": "string"},
            "step": _NULLABLE_STRING,
            "ticket": {"type": "string"}, "page": {"type": "string"},
            "locator": {"type": "string"}, "url": {"type": "string"},
            "retry_after": {"type": "string", "format": "date-time",
                            "description": "A console failure: when `resume --due` retries."},
            "retries_exhausted": {"type": "boolean",
                                  "description": "A console failure after the last retry."},
            "issues": {"type": "array", "items": {"type": "string"},
                       "description": "Every problem of an invalid flow, as file:line: field."},
        },
    }


COMMANDS: dict[str, dict[str, Any]] = {
    "cli": {"type": "array", "items": {"type": "string"}, "minItems": 1,
            "description": "argv that runs as it is; an element holding <...> is a placeholder "
                           "the caller fills in."},
    "http": {"type": "object", "required": ["method", "path", "body"],
             "additionalProperties": False,
             "description": "The HTTP request that does it; a value holding <...> is a "
                            "placeholder the caller fills in.",
             "properties": {"method": {"enum": ["GET", "POST"]}, "path": {"type": "string"},
                            "body": {"type": ["object", "null"]}}},
    "mcp": {"type": "object", "required": ["tool", "arguments"], "additionalProperties": False,
            "description": "The MCP tool call that does it; a value holding <...> is a "
                           "placeholder the caller fills in.",
            "properties": {"tool": {"type": "string"}, "arguments": {"type": "object"}}},
}
DOORS = tuple(COMMANDS)


def _next_action(door: str) -> dict[str, Any]:
    return {
        "type": ["object", "null"],
        "description": "What the caller does next; null when nothing is left to do.",
        "required": ["type"],
        "properties": {
            "type": _described(NEXT_ACTION_MEANING, list(NEXT_ACTION_MEANING)),
            "summary": {"type": "string", "description": "The same, for a person."},
            "command": {"anyOf": [COMMANDS[door], {"type": "null"}],
                        "description": "What to do next at this door, or null."},
        },
    }


_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "run_id": {"type": ["string", "null"], "description": "null only for a dry run."},
    "ticket": {"type": "string"},
    "flow": {"type": "string"},
    "outcome": {"type": ["string", "null"],
                "description": "How it ended (the flow's end, or the error code); null while "
                               "paused."},
    "customer_message": {"type": ["string", "null"],
                         "description": "Safe to paste to the customer: no step names, run ids "
                                        "or internal codes."},
    "outputs": {"type": "object", "description": "Each finished step's outputs, by step id."},
    "steps": {"type": "array", "items": {
        "type": "object", "required": ["id", "status", "duration_ms"],
        "additionalProperties": False,
        "properties": {"id": {"type": "string"}, "status": {"enum": list(STEP_STATUSES)},
                       "duration_ms": {"type": "integer", "minimum": 0}}}},
    "artifacts": {"type": "array", "items": {"type": "string", "pattern": "^/"},
                  "description": "Screenshots, traces, the captcha image: absolute paths on "
                                 "this machine at the command line, /runs/RUN/artifacts/NAME "
                                 "URLs over HTTP and MCP."},
    "queued_at": {"type": ["string", "null"], "format": "date-time",
                  "description": "A queued run: when it was handed to the workers."},
    "existing": {"type": "boolean",
                 "description": "true: the ticket already had this run; nothing was started."},
}


def run_result_schema() -> dict[str, Any]:
    """One property per field of RunResult: a field added there must be described here."""
    properties: dict[str, Any] = {}
    for f in fields(RunResult):
        if f.name == "status":
            properties[f.name] = {"$ref": "#/$defs/status"}
        elif f.name == "next_action":
            properties[f.name] = {"$ref": "#/$defs/next_action"}
        elif f.name == "error":
            properties[f.name] = {"anyOf": [{"$ref": "#/$defs/error"}, {"type": "null"}]}
        else:
            properties[f.name] = _FIELD_SCHEMAS[f.name]
    return {"type": "object", "required": [f.name for f in fields(RunResult)],
            "additionalProperties": False, "properties": properties}


def _ticket_status() -> dict[str, Any]:
    base = run_result_schema()
    return {**base, "required": [*base["required"], "other_runs"],
            "properties": {**base["properties"], "other_runs": {
                "type": "array", "items": {"$ref": "#/$defs/run_summary"},
                "description": "The ticket's other runs (other flows), newest first."}},
            "description": "`status REF`: the run REF names, or the ticket's newest run, with "
                           "the ticket's other runs named."}


def _run_summary() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "required": ["run_id", "ticket", "flow", "status"],
            "description": "One row of `runs list` and of `resume --due`'s needs_input.",
            "properties": {
                "run_id": {"type": "string"}, "ticket": {"type": "string"},
                "flow": {"type": "string"}, "status": {"$ref": "#/$defs/status"},
                "outcome": _NULLABLE_STRING, "current_step": _NULLABLE_STRING,
                "next_action": {"$ref": "#/$defs/next_action"},
                "created_at": _TIMESTAMP, "updated_at": _TIMESTAMP, "queued_at": _TIMESTAMP,
                "next_check_at": _TIMESTAMP, "deadline": _TIMESTAMP}}


def _run_detail() -> dict[str, Any]:
    base = run_result_schema()
    extra = {
        "current_step": _NULLABLE_STRING, "inputs": {"type": "object"},
        "created_at": _TIMESTAMP, "updated_at": _TIMESTAMP, "queued_at": _TIMESTAMP,
        "next_check_at": _TIMESTAMP, "deadline": _TIMESTAMP,
        "decisions": {"type": "array", "items": {
            "type": "object", "required": ["ts", "actor", "via", "action"],
            "properties": {"seq": {"type": "integer"}, "ts": {"type": "string"},
                           "actor": {"type": "string"}, "via": {"type": "string"},
                           "action": {"type": "string"}, "run_id": _NULLABLE_STRING,
                           "detail": {"type": "object"}}},
            "description": "Every human decision on the run: who, through which door, what."},
        "events": {"type": "array", "items": {
            "type": "object", "required": ["seq", "ts", "kind"],
            "properties": {"seq": {"type": "integer"}, "ts": {"type": "string"},
                           "step": _NULLABLE_STRING, "kind": {"type": "string"},
                           "status": _NULLABLE_STRING,
                           "duration_ms": {"type": ["integer", "null"]},
                           "data": {"type": "object"}}}},
        "ledger": {"type": "array", "items": {
            "type": "object", "required": ["action", "order_key", "status"],
            "properties": {"ticket": {"type": "string"}, "action": {"type": "string"},
                           "order_key": {"type": "string"}, "run_id": {"type": "string"},
                           "status": {"enum": ["attempting", "confirmed", "abandoned"]},
                           "evidence": {"type": "object"}, "attempted_at": _TIMESTAMP,
                           "confirmed_at": _TIMESTAMP}}},
    }
    return {**base, "required": [*base["required"], "events", "ledger", "decisions"],
            "properties": {**base["properties"], **extra},
            "description": "`runs show RUN`: the run's result with its events and ledger."}


def _failure() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["status", "error"],
            "description": "Refused before a run existed (bad usage, invalid flow, unknown run).",
            "properties": {"status": {"const": "failed"}, "error": {"$ref": "#/$defs/error"},
                           "customer_message": {"type": "string"},
                           "ticket": {"type": "string"}, "flow": {"type": "string"},
                           "run_id": _NULLABLE_STRING, "ref": {"type": "string"},
                           "path": {"type": "string"}}}


def _enqueued() -> dict[str, Any]:
    base = run_result_schema()
    return {**base, "required": [*base["required"], "queued"],
            "properties": {**base["properties"], "queued": {
                "type": "boolean", "description": "true: this call handed the run to the "
                "workers; false: the ticket already had the run and it was not queued again."}},
            "description": "`enqueue`: the run as created (or found), and whether it was queued."}


def _flows() -> dict[str, Any]:
    return {"type": "array", "items": {
        "type": "object", "additionalProperties": False,
        "required": ["name", "path", "description"],
        "properties": {"name": {"type": "string"}, "path": {"type": "string"},
                       "description": {"type": "string"}}}}


def _flow_valid() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "required": ["path", "valid", "name"],
            "properties": {"path": {"type": "string"}, "valid": {"const": True},
                           "name": {"type": "string"}}}


def output_schema(door: str = "cli") -> dict[str, Any]:
    """The schema of every JSON document the CLI prints on stdout (except the sandbox's and
    the selector check's own reports); ``door`` says how next actions' commands are written."""
    defs: dict[str, Any] = {
        "status": _described(STATUS_MEANING, statuses()),
        "error": _error(),
        "next_action": _next_action(door),
        "run_result": run_result_schema(),
        "run_results": {"type": "array", "items": {"$ref": "#/$defs/run_result"},
                        "description": "Several runs (what `resume --due` resumed)."},
        "ticket_status": _ticket_status(),
        "run_summary": _run_summary(),
        "run_list": {"type": "array", "items": {"$ref": "#/$defs/run_summary"},
                     "description": "`runs list`, newest first."},
        "run_detail": _run_detail(),
        "due_report": {
            "type": "object", "additionalProperties": False,
            "required": ["resumed", "needs_input"],
            "description": "`resume --due`: what was resumed, and what waits for a person.",
            "properties": {"resumed": {"$ref": "#/$defs/run_results"},
                           "needs_input": {"$ref": "#/$defs/run_list"}}},
        "failure": _failure(),
        "enqueued": _enqueued(),
        "flow_list": _flows(),
        "flow_valid": _flow_valid(),
    }
    outputs = ["run_result", "run_results", "ticket_status", "run_list", "run_detail", "due_report",
               "failure", "flow_list", "flow_valid", "enqueued"]
    return {"$schema": DRAFT, "$id": SCHEMA_ID, "title": "certrunner output",
            "description": "One JSON document on stdout per command run with --json. Exit "
                           "codes: 0 finished, 3 paused, 1 failed, 2 bad usage or input.",
            "anyOf": [{"$ref": f"#/$defs/{name}"} for name in outputs], "$defs": defs}
