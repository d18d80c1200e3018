"""The answer a caller gets: one object, the same for JSON and for the human summary.

Agents depend on these field names and on the exit codes; change them only with the contract
in DESIGN.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runner.engine.store import Run

EXIT_FINISHED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PAUSED = 3

FINISHED = ("succeeded", "denied")
PAUSED = ("waiting", "needs_input")
IN_PROGRESS = "running"  # another process holds the run: come back later, like a pause


@dataclass
class StepReport:
    id: str
    status: str  # done | skipped | paused | failed | denied | ended
    duration_ms: int = 0


@dataclass
class RunResult:
    run_id: str | None
    ticket: str
    flow: str
    status: str
    outcome: str | None = None
    message: str | None = None
    next_action: dict[str, Any] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[StepReport] = field(default_factory=list)
    error: dict[str, Any] | None = None
    artifacts: list[str] = field(default_factory=list)
    existing: bool = False  # a second trigger got the first run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def exit_code(self) -> int:
        if self.status in FINISHED:
            return EXIT_FINISHED
        if self.status in PAUSED or self.status == IN_PROGRESS:
            return EXIT_PAUSED
        if self.error and self.error.get("kind") == "input":
            return EXIT_USAGE
        return EXIT_FAILED


def human_summary(result: RunResult) -> str:
    """A few lines a support agent reads at a glance."""
    lines = [f"run {result.run_id}  ticket {result.ticket}  flow {result.flow}"]
    if result.existing:
        lines.append("  (this ticket already had a run: showing it, nothing was started)")
    head = f"  status: {result.status}"
    if result.outcome:
        head += f"  outcome: {result.outcome}"
    lines.append(head)
    if result.message:
        lines.append(f"  message: {result.message}")
    if result.error:
        where = f" at step {result.error['step']}" if result.error.get("step") else ""
        lines.append(f"  error [{result.error['kind']}/{result.error['code']}]{where}: "
                     f"{result.error['message']}")
    if result.next_action:
        lines.append(f"  next: {result.next_action.get('summary', result.next_action)}")
    for path in result.artifacts:
        lines.append(f"  artifact: {path}")
    return "\n".join(lines)


def result_of(run: Run) -> RunResult:
    """A stored run as the caller sees it: the last status of each step, every artifact."""
    last: dict[str, StepReport] = {}
    for row in run.context.get("log", []):
        last[row["id"]] = StepReport(row["id"], row["status"], row["duration_ms"])
    artifacts = list(run.context.get("artifacts", []))
    if run.next_action and run.next_action.get("artifact"):
        artifacts.append(run.next_action["artifact"])
    return RunResult(
        run_id=run.run_id, ticket=run.ticket, flow=run.flow, status=str(run.status),
        outcome=run.outcome, message=run.message, next_action=run.next_action,
        outputs=run.context.get("steps", {}), steps=list(last.values()), error=run.error,
        artifacts=artifacts)

