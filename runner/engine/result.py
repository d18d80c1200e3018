"""The answer a caller gets: one object, the same for JSON and for the human summary.

Agents depend on these field names and on the exit codes; change them only with the contract
(README, docs/errors.md). ``customer_message`` may be pasted to the customer on every status;
``error.message`` and ``next_action.summary`` are for the support agent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runner.engine import texts
from runner.engine.next_action import Command, NextAction
from runner.error_codes import PAUSED, ExitCode, exit_code

if TYPE_CHECKING:
    from runner.store.runs import Event, Run

# How a door writes a next action's command: the CLI as an argv list (runner.cli.argv).
CommandRenderer = Callable[[Command], Any]


@dataclass
class StepReport:
    id: str
    status: str  # done | skipped | paused | failed | denied | ended | retry
    duration_ms: int = 0


@dataclass
class RunResult:
    run_id: str | None
    ticket: str
    flow: str
    status: str
    outcome: str | None = None
    customer_message: str | None = None
    next_action: NextAction | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[StepReport] = field(default_factory=list)
    error: dict[str, Any] | None = None
    artifacts: list[str] = field(default_factory=list)
    existing: bool = False  # a second trigger got the first run
    queued_at: str | None = None  # a queued run: since when it waits for a worker

    def to_dict(self, render: CommandRenderer | None = None) -> dict[str, Any]:
        """The JSON answer; ``render`` turns ``next_action.command`` into the door's form
        (without one, the command stays structured data)."""
        return {
            "run_id": self.run_id, "ticket": self.ticket, "flow": self.flow,
            "status": self.status, "outcome": self.outcome,
            "customer_message": self.customer_message,
            "next_action": _action_dict(self.next_action, render),
            "outputs": self.outputs,
            "steps": [{"id": s.id, "status": s.status, "duration_ms": s.duration_ms}
                      for s in self.steps],
            "error": self.error, "artifacts": self.artifacts, "existing": self.existing,
            "queued_at": self.queued_at,
        }

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.status, (self.error or {}).get("kind"))


def _action_dict(action: NextAction | None, render: CommandRenderer | None) -> Any:
    if action is None:
        return None
    out = action.to_dict()
    if render is not None:
        out["command"] = render(action.command) if action.command else None
        previous = getattr(action, "previous", None)
        if isinstance(previous, NextAction):
            out["previous"] = _action_dict(previous, render)
    return out


def human_summary(result: RunResult) -> str:
    """A few lines a support agent reads at a glance."""
    lines = [f"run {result.run_id}  ticket {result.ticket}  flow {result.flow}"]
    if result.existing:
        lines.append("  (this ticket already had a run: showing it, nothing was started)")
    head = f"  status: {result.status}"
    if result.outcome:
        head += f"  outcome: {result.outcome}"
    lines.append(head)
    if result.customer_message:
        lines.append(f"  for the customer: {result.customer_message}")
    if result.error:
        where = f" at step {result.error['step']}" if result.error.get("step") else ""
        lines.append(f"  error [{result.error['kind']}/{result.error['code']}]{where}: "
                     f"{result.error['message']}")
    if result.next_action:
        lines.append(f"  next: {result.next_action.summary}")
    for path in result.artifacts:
        lines.append(f"  artifact: {path}")
    return "\n".join(lines)


def result_of(run: Run, events: Iterable[Event], now: datetime | None = None) -> RunResult:
    """A stored run as the caller sees it: the last status of each step (from the run's events,
    ``RunStore.events``, its one history), every artifact; ``now`` says how long a queued run
    has waited for a worker."""
    last: dict[str, StepReport] = {}
    for event in events:
        if event.step is not None and event.status is not None:
            last[event.step] = StepReport(event.step, event.status, event.duration_ms or 0)
    artifacts = list(run.context.get("artifacts", []))
    action = NextAction.from_dict(run.next_action) if run.next_action else None
    message = run.message
    if str(run.status) == "queued":
        action = texts.queued(run.run_id, run.queued_at or run.created_at,
                              now or run.updated_at)
        message = message or texts.customer_in_progress(run.inputs.get("domain"))
    elif str(run.status) == "running":
        # A process holds the run, or died holding it (``resume --due`` picks that up).
        action = action or texts.other_process(run.run_id)
        message = message or texts.customer_in_progress(run.inputs.get("domain"))
    artifact = getattr(action, "artifact", None)
    if artifact:
        artifacts.append(artifact)
    if str(run.status) == "abandoned":
        # Whatever the customer was last told, the run will do nothing more now.
        message = texts.customer_abandoned(run.inputs.get("domain"))
    return RunResult(
        run_id=run.run_id, ticket=run.ticket, flow=run.flow, status=str(run.status),
        outcome=None if str(run.status) in PAUSED else run.outcome,  # null while paused
        customer_message=message, next_action=action,
        outputs=run.context.get("steps", {}), steps=list(last.values()), error=run.error,
        artifacts=artifacts, queued_at=run.queued_at.isoformat() if run.queued_at else None)
