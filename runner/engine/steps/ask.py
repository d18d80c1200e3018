"""An ask step: the run pauses as needs_input until a person gives the input."""

from __future__ import annotations

from typing import Any

from runner.engine import texts
from runner.engine.steps.context import Pause, StepContext
from runner.engine.store import RunStatus
from runner.language.expressions import render_value
from runner.language.model import AskStep


def run(sc: StepContext, step: AskStep) -> dict[str, Any]:
    """An answer a person gives is used once and never stored: only "[given]" is kept."""
    value = sc.secrets.get(step.input, sc.run.inputs.get(step.input))
    if value not in (None, ""):
        return {"value": "[given]"}
    artifact = render_value(step.artifact, sc.expressions()) if step.artifact else None
    raise Pause(RunStatus.NEEDS_INPUT,
                texts.provide_input(sc.run.run_id, step.input, step.prompt,
                                    str(artifact) if artifact else None),
                texts.customer_in_progress(sc.domain))
