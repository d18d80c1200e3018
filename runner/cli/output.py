"""How every command answers: one JSON document under ``--json`` (docs/contract.md), text
otherwise; errors raised before a run existed look like a run's error, with its exit code."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from runner.error_codes import exit_code
from runner.errors import RunnerError


def emit(payload: dict[str, Any] | list[Any], as_json: bool, text: str) -> None:
    click.echo(json.dumps(payload, indent=2, default=str) if as_json else text)


def progress_for(as_json: bool) -> Any:
    """Step lines (and a live line on a terminal) for a person; nothing at all under --json."""
    if as_json:
        return None
    from runner.cli.progress import LiveProgress

    live = LiveProgress(click.echo, sys.stderr)
    click.get_current_context().call_on_close(live.close)
    return live


def fail(error: RunnerError, as_json: bool, domain: str | None = None, **extra: Any) -> NoReturn:
    """Print an error raised before a run existed, like a run's error, and exit with its code."""
    from runner.engine.texts import customer_failure

    payload: dict[str, Any] = {**extra, "status": "failed"}
    if "ticket" in extra or "run_id" in extra:  # a ticket's command: something to tell them
        payload["customer_message"] = customer_failure(error, domain)
    payload["error"] = error.to_dict()
    emit(payload, as_json, f"error [{error.kind}/{error.code}]: {error}")
    sys.exit(exit_code("failed", error.kind))


def render(result: Any) -> dict[str, Any]:
    """A run's answer with ``next_action.command`` as an argv list (see runner.cli.argv)."""
    from runner.cli.argv import command_line

    return dict(result.to_dict(command_line))


def summary(result: Any) -> str:
    from runner.cli.argv import shell_line
    from runner.engine.result import human_summary

    action = result.next_action
    command = f"\n  run: {shell_line(action.command)}" if action and action.command else ""
    return human_summary(result) + command


def finish(result: Any, as_json: bool) -> NoReturn:
    emit(render(result), as_json, summary(result))
    sys.exit(result.exit_code)
