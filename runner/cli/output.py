"""How every command answers: one JSON document under ``--json`` (docs/contract.md), text
otherwise; errors raised before a run existed look like a run's error, with its exit code.

The command line is one door on the application layer: a run's answer is
``runner.app.answer.answer`` with this door's rendering (next actions as argv lists, artifacts as
paths on this machine, copied from the store when the run was driven on another machine).
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any, NoReturn

import click

from runner.app.answer import Door, answer
from runner.engine.result import RunResult
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


def watch_for(progress: Any) -> Any:
    """The live line's step hook, when there is a live line."""
    from runner.cli.progress import LiveProgress

    return progress.step_started if isinstance(progress, LiveProgress) else None


def fail(error: RunnerError, as_json: bool, domain: str | None = None, **extra: Any) -> NoReturn:
    """Print an error raised before a run existed, like a run's error, and exit with its code."""
    from runner.engine.texts import customer_failure

    payload: dict[str, Any] = {**extra, "status": "failed"}
    if "ticket" in extra or "run_id" in extra:  # a ticket's command: something to tell them
        payload["customer_message"] = customer_failure(error, domain)
    payload["error"] = error.to_dict()
    emit(payload, as_json, f"error [{error.kind}/{error.code}]: {error}")
    sys.exit(exit_code("failed", error.kind))


def refused(error: RunnerError, as_json: bool, current: RunResult, app: Any = None) -> NoReturn:
    """A command refused on a run it left as it was (an answer the run does not ask for): the
    run as it stands, whose status and customer message stay true, with the refusal as the
    error, and the refusal's exit code. A failed run's own status and message would be false
    here: nothing failed, and nothing is to be told to the customer but what was true before."""
    emit({**render(current, app), "error": error.to_dict()}, as_json,
         f"refused [{error.kind}/{error.code}]: {error}\n{summary(current, app)}")
    sys.exit(exit_code("failed", error.kind))


def door(app: Any = None) -> Door:
    """This door: argv commands; artifacts as paths on this machine."""
    from runner.app.files import local_copy
    from runner.cli.argv import command_line

    def artifact(run_id: str, listed: str) -> str:
        if app is None:
            return listed
        return local_copy(app.store, run_id, listed, app.config.artifacts)

    return Door("cli", command_line, artifact)


def render(result: RunResult, app: Any = None) -> dict[str, Any]:
    """A run's answer at the command line."""
    return answer(result, door(app))


def summary(result: RunResult, app: Any = None) -> str:
    from runner.cli.argv import shell_line
    from runner.engine.result import human_summary

    shown = result
    if app is not None and result.run_id:
        shown = replace(result, artifacts=render(result, app)["artifacts"])
    action = result.next_action
    command = f"\n  run: {shell_line(action.command)}" if action and action.command else ""
    return human_summary(shown) + command


def finish(result: RunResult, as_json: bool, app: Any = None,
           extra: dict[str, Any] | None = None) -> NoReturn:
    emit({**render(result, app), **(extra or {})}, as_json, summary(result, app))
    sys.exit(result.exit_code)
