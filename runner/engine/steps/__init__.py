"""The five step kinds, one module each; ``run_step`` picks the one a step needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.engine.steps import action, ask, end, gate, wait
from runner.engine.steps.context import End, Jump, Pause, StepContext
from runner.language.model import ActionStep, AskStep, EndStep, GateStep, Step, WaitStep

__all__ = ["End", "Jump", "Pause", "StepContext", "run_step"]

_KINDS: dict[type[Step], Callable[[StepContext, Any], dict[str, Any]]] = {
    ActionStep: action.run,
    GateStep: gate.run,
    AskStep: ask.run,
    WaitStep: wait.run,
    EndStep: end.run,
}


def run_step(sc: StepContext) -> dict[str, Any]:
    """Run ``sc.step``: its outputs, or a signal (Pause, End, Jump), or an error."""
    return _KINDS[type(sc.step)](sc, sc.step)
