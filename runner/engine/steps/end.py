"""An end step: the run has its outcome and, for the customer, the flow's message."""

from __future__ import annotations

from typing import Any

from runner.engine import texts
from runner.engine.steps.context import End, StepContext
from runner.engine.store import RunStatus
from runner.language.expressions import render_value
from runner.language.model import EndStep


def run(sc: StepContext, step: EndStep) -> dict[str, Any]:
    message = render_value(step.message, sc.expressions()) if step.message else None
    text = " ".join(str(message).split()) if message else texts.customer_finished(sc.domain)
    raise End(RunStatus(step.status.value), step.outcome, text)
