"""An end step: the run has its outcome and, for the customer, the flow's message.

An end with ``status: failed`` is the flow's own stop on a check the order did not pass (the
procedure's step 4): a business failure whose code is the outcome (a declared business code,
checked when the flow is validated), whose ``error.message`` is the rendered ``detail`` (for
the support agent) and whose customer message is the flow's ``message``.
"""

from __future__ import annotations

from typing import Any

from runner.engine import texts
from runner.engine.steps.context import End, StepContext
from runner.error_codes import declared
from runner.errors import BusinessError
from runner.language.expressions import render_value
from runner.language.model import EndStatus, EndStep
from runner.store.runs import RunStatus


def _text(template: str | None, values: dict[str, Any]) -> str | None:
    rendered = render_value(template, values) if template else None
    return " ".join(str(rendered).split()) if rendered else None


def run(sc: StepContext, step: EndStep) -> dict[str, Any]:
    values = sc.expressions()
    message = _text(step.message, values)
    if step.status is EndStatus.FAILED:
        detail = _text(step.detail, values) or message or step.outcome
        raise BusinessError(detail, code=declared(step.outcome), customer_message=message)
    raise End(RunStatus(step.status.value), step.outcome,
              message or texts.customer_finished(sc.domain))
