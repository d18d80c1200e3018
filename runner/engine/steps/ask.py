"""An ask step: the run pauses as needs_input until a person gives the input.

The answer (the captcha) is single-use and never stored: only "[given]" is kept. What the run
keeps about it lives in its context under ``answers`` (``AnswerState``): when the question was
shown, what became of the last answer (``rejected`` or ``expired``, set by the action step that
sent it) and how many the console rejected. A challenge that expired unanswered, or an answer
given too late, sends the run back to the ``renew`` step for a new one; after ``tries`` rejected
answers the run stops asking and a person checks the order (a resume then asks afresh).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from runner.engine import texts
from runner.engine.steps.context import Jump, Pause, StepContext
from runner.errors import ErrorCode, InputError
from runner.language.expressions import render_value
from runner.language.model import AskStep
from runner.store.runs import Run, RunStatus

ANSWERS = "answers"
REJECTED = "rejected"
EXPIRED = "expired"


def answer_state(run: Run, name: str) -> dict[str, Any]:
    """The run's record of one asked input (never the answer itself)."""
    answers: dict[str, dict[str, Any]] = run.context.setdefault(ANSWERS, {})
    return answers.setdefault(name, {})


def note_verdict(run: Run, name: str, verdict: str) -> None:
    """The console refused an answer: say so in the next question, count the rejections."""
    state = answer_state(run, name)
    state["previous"] = verdict
    if verdict == REJECTED:
        state[REJECTED] = int(state.get(REJECTED, 0)) + 1
    state.pop("artifact", None)  # the next question shows a new challenge


def run(sc: StepContext, step: AskStep) -> dict[str, Any]:
    state = answer_state(sc.run, step.input)
    if state.pop("stopped", False):
        # A person checked the order after the run stopped asking, and resumed: start afresh.
        state.pop(REJECTED, None)
        state.pop("previous", None)
    rejected = int(state.get(REJECTED, 0))
    if step.tries is not None and rejected >= step.tries:
        state["stopped"] = True
        raise InputError(f"the console rejected {rejected} answers for {step.input}; "
                         "stopped asking until a person checks the order",
                         code=ErrorCode.ANSWER_TRIES_EXHAUSTED, input=step.input,
                         rejected=rejected)
    artifact = render_value(step.artifact, sc.expressions()) if step.artifact else None
    now = sc.clock.now()
    if state.get("artifact", "") != (str(artifact) if artifact else None):
        state.update(artifact=str(artifact) if artifact else None, asked_at=now.isoformat())
    expires_at = _expires_at(state, step.expires_in)
    value = sc.secrets.get(step.input, sc.run.inputs.get(step.input))
    given = value not in (None, "")
    if expires_at is not None and now >= expires_at and step.renew:
        _renew(sc, step, state, given)
    if given:
        return {"value": "[given]"}
    raise Pause(RunStatus.NEEDS_INPUT,
                texts.provide_input(sc.run.run_id, step.input, step.prompt,
                                    str(artifact) if artifact else None, expires_at=expires_at,
                                    previous=state.get("previous"),
                                    tries_left=None if step.tries is None
                                    else step.tries - rejected),
                texts.customer_in_progress(sc.domain))


def _expires_at(state: dict[str, Any], expires_in: timedelta | None) -> datetime | None:
    asked_at = state.get("asked_at")
    if expires_in is None or not isinstance(asked_at, str):
        return None
    return datetime.fromisoformat(asked_at) + expires_in


def _renew(sc: StepContext, step: AskStep, state: dict[str, Any], given: bool) -> None:
    """The challenge expired (answered too late, or not at all): go back for a new one."""
    assert step.renew is not None
    sc.secrets.pop(step.input, None)
    sc.run.inputs.pop(step.input, None)
    if given:
        note_verdict(sc.run, step.input, EXPIRED)
    state.pop("artifact", None)
    raise Jump(step.renew, InputError(f"the challenge for {step.input} expired before "
                                      f"{'the answer came' if given else 'anyone answered'}",
                                      code=ErrorCode.ANSWER_EXPIRED, step=step.id))
