"""Dry runs: read-only steps for real, then stop before the first step that would change
something (a side effect) or need a person (an ask)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions import ActionSpec, Effect
from runner.engine import texts
from runner.engine.steps import End
from runner.language.expressions import render_value
from runner.language.model import ActionStep, AskStep, Step
from runner.store.runs import RunStatus

OUTCOME = "dry_run"


def would_change(step: Step, actions: Mapping[str, ActionSpec]) -> bool:
    if isinstance(step, AskStep):
        return True
    return isinstance(step, ActionStep) and actions[step.action].effect is Effect.SIDE_EFFECT


def stop(step: Step, ctx: dict[str, Any], domain: str | None) -> End:
    """The end of a dry run, saying what the real run would do next."""
    if isinstance(step, ActionStep):
        what: texts.NextAction = texts.would_do(step.id, step.action,
                                                render_value(dict(step.with_), ctx))
    else:
        assert isinstance(step, AskStep)
        what = texts.would_ask(step.id, step.input, step.prompt)
    return End(RunStatus.SUCCEEDED, OUTCOME, texts.customer_dry_run(domain), what)
