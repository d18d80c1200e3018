"""What every step kind gets (``StepContext``) and the signals a step raises to the loop.

A step returns its outputs, or raises one of the signals: ``Pause`` (the run waits for a person
or the customer), ``End`` (the run has its outcome) or ``Jump`` (go back to an earlier step, as
``on_error`` says). Any other exception is a failure, which the loop records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runner.actions import ActionSpec, Effect, journaled_by
from runner.clock import Clock
from runner.config import Config
from runner.engine.lazy_session import SessionHolder
from runner.engine.next_action import NextAction
from runner.errors import ConsoleError, RunnerError
from runner.language.model import Flow, GateStep, OnExpired, Step
from runner.logs import get_logger
from runner.observability import hooks as observe
from runner.selectors.witness import witnessing
from runner.store.runs import Run, RunStatus, RunStore


@dataclass
class Pause(Exception):
    status: RunStatus
    next_action: NextAction
    customer_message: str
    next_check_at: datetime | None = None
    deadline: datetime | None = None


@dataclass
class End(Exception):
    status: RunStatus
    outcome: str
    customer_message: str | None
    next_action: NextAction | None = None


@dataclass
class Jump(Exception):
    to: str
    error: RunnerError


@dataclass
class StepContext:
    """One step of one run: the run, its flow, the step, and the engine's services."""

    run: Run
    flow: Flow
    step: Step
    secrets: dict[str, Any]  # single-use answers (the captcha): in memory only, never stored
    session: SessionHolder
    config: Config
    clock: Clock
    store: RunStore
    actions: Mapping[str, ActionSpec]

    @property
    def domain(self) -> str | None:
        value = self.run.inputs.get("domain")
        return str(value) if value else None

    def expressions(self) -> dict[str, Any]:
        """What ``${...}`` and ``when:`` may read: earlier steps' outputs and the inputs."""
        return {**self.run.context["steps"], "inputs": {**self.run.inputs, **self.secrets}}

    def call(self, spec: ActionSpec, args: dict[str, Any]) -> Any:
        """Call an action; read-only ones are retried a bounded number of times.

        The pages it passes that the nightly selector check cannot open keep their snapshot
        (``runner.selectors.witness``), written when the action ends.
        """
        attempts = 1 + (self.config.browser.read_retries if spec.effect is Effect.READ else 0)
        for attempt in range(1, attempts + 1):
            try:
                observe.page_action(spec.name, attempt)  # an event on the step's span
                session = self.session.get()
                journal = getattr(session, "journal", None)  # a failed run's evidence
                # Pages the nightly check cannot open are kept as this run saw them.
                with witnessing(self.store, self.run.run_id), journaled_by(
                        journal.begin(spec.name, attempt) if journal is not None else None):
                    return spec.func(session, **args)
            except ConsoleError as exc:
                if attempt == attempts:
                    raise
                get_logger().warning("retry", action=spec.name, attempt=attempt, code=exc.code)
        raise AssertionError("unreachable")

    def refund_gates(self) -> list[tuple[GateStep, dict[str, Any] | None]]:
        """The flow's enforced refund-window gates before this step, with their outputs (None:
        the run has not passed that gate). Known from the flow, never guessed from outputs."""
        gates = [s for s in self.flow.steps[:self.step.index]
                 if isinstance(s, GateStep) and s.on_expired is OnExpired.DENY]
        return [(gate, self.run.context["steps"].get(gate.id)) for gate in gates]
