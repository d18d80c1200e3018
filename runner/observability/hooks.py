"""What the engine tells metrics and traces: a drive begins and ends, a step starts and is
recorded, a page action is called. The executor calls these with the objects it already has
(the run, the flow, the step, the error); nothing here writes to the store or changes a run.

Both halves are off until asked for: metrics once the process exposes them
(``enable_metrics``: the service's ``/metrics``, a worker's port), traces once
``runner.observability.tracing`` has a tracer. Off, each hook is a few attribute reads, so a CLI
command pays nothing. State lives in context variables, so the service's threads each follow
their own drive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import structlog

from runner.observability import tracing

if TYPE_CHECKING:
    from runner.errors import RunnerError
    from runner.language.model import Flow, Step
    from runner.store.runs import Run, RunStore

FINISHED = ("succeeded", "denied", "failed")  # a drive that leaves a run so counts it
CONSOLE_KINDS = ("console", "drift")  # errors a console caused (down, slow, or changed)
ALREADY_DONE = "already_done"  # runner.actions.ALREADY_DONE: a side effect's output

_metrics: ModuleType | None = None


@dataclass
class _Drive:
    tracer: Any
    span: Any
    trace_id: str
    span_id: str


_drive: ContextVar[_Drive | None] = ContextVar("certrunner_drive", default=None)
_step: ContextVar[Any] = ContextVar("certrunner_step_span", default=None)
# (trace id, span id) of whoever handed this thread the run (a queued task's headers).
carried: ContextVar[tuple[str, str] | None] = ContextVar("certrunner_carried", default=None)


def enable_metrics() -> ModuleType:
    """Count from now on (imports prometheus_client); answers the metrics module."""
    global _metrics
    if _metrics is None:
        from runner.observability import metrics

        _metrics = metrics
    return _metrics


def disable_metrics() -> None:
    """Stop counting (the metrics keep their values): for benchmarks that compare."""
    global _metrics
    _metrics = None


def page_action(name: str, attempt: int = 1) -> None:
    """A page-object action is called: an event on the step's span."""
    span = _step.get()
    if span is not None:
        span.add_event("action", {"action": name, "attempt": attempt})


@contextmanager
def drive(run: Run, flow: Flow, store: RunStore) -> Iterator[None]:
    """One drive of a run, from pick-up to its next pause or end: a root span linked to the
    run's previous drive, its trace id bound into every log line, counted when it ends."""
    first = run.current_step is None
    if _metrics is not None:
        _metrics.DRIVES_IN_PROGRESS.inc()
        if first:
            _metrics.RUNS_STARTED.labels(flow.name).inc()
    state = _begin(run, flow, store)
    try:
        yield
    except BaseException as exc:
        if state is not None:
            state.span.record_exception(exc)
            tracing.failed(state.span, type(exc).__name__)
        raise
    finally:
        _end(run, flow, state)


def _begin(run: Run, flow: Flow, store: RunStore) -> _Drive | None:
    active = tracing.tracer()
    if active is None:
        return None
    links = [link for link in (_last_drive(run, store), carried.get()) if link]
    span = tracing.start_root(active, f"drive {flow.name}", {
        "certrunner.run_id": run.run_id, "certrunner.ticket": run.ticket,
        "certrunner.flow": flow.name, "certrunner.from_step": run.current_step or ""}, links)
    trace_id, span_id = tracing.ids(span)
    state = _Drive(active, span, trace_id, span_id)
    _drive.set(state)
    structlog.contextvars.bind_contextvars(trace_id=trace_id)
    return state


def _end(run: Run, flow: Flow, state: _Drive | None) -> None:
    status, outcome = str(run.status), run.outcome or ""
    if _metrics is not None:
        _metrics.DRIVES_IN_PROGRESS.dec()
        if status in FINISHED:
            _metrics.RUNS_FINISHED.labels(flow.name, status, outcome).inc()
    if state is None:
        return
    step = _step.get()
    if step is not None:  # a step the drive left without recording (its store write failed)
        tracing.failed(step, "interrupted")
        step.end()
        _step.set(None)
    state.span.set_attributes({"certrunner.status": status, "certrunner.outcome": outcome})
    if status == "failed":
        tracing.failed(state.span, outcome)
    state.span.end()
    _drive.set(None)
    structlog.contextvars.unbind_contextvars("trace_id")


def _last_drive(run: Run, store: RunStore) -> tuple[str, str] | None:
    """The previous drive's span, from the newest event that names one."""
    for event in reversed(store.events(run.run_id)):
        if event.data.get("trace_id") and event.data.get("span_id"):
            return str(event.data["trace_id"]), str(event.data["span_id"])
    return None


def event_ids() -> dict[str, str]:
    """What a step's event keeps of the drive's trace (none when tracing is off)."""
    state = _drive.get()
    return {} if state is None else {"trace_id": state.trace_id, "span_id": state.span_id}


def step_started(run: Run, step: Step) -> None:
    state = _drive.get()
    if state is not None:
        _step.set(tracing.start_child(state.tracer, state.span, f"step {step.id}", {
            "certrunner.step": step.id, "certrunner.kind": step.kind.value}))


def step_recorded(run: Run, flow_name: str, step: Step, status: str, duration_ms: int,
                  error: RunnerError | None = None) -> None:
    """The step's event is in the store: end its span, count it."""
    if _metrics is not None:
        _count(run, flow_name, step, status, duration_ms, error)
    state = _drive.get()
    if state is None:
        return
    span = _step.get()
    if span is None:  # skipped before it started (``when`` false)
        span = tracing.start_child(state.tracer, state.span, f"step {step.id}", {
            "certrunner.step": step.id, "certrunner.kind": step.kind.value})
    span.set_attributes({"certrunner.status": status, "certrunner.duration_ms": duration_ms})
    if error is not None:
        span.set_attributes({"certrunner.error.code": str(error.code),
                             "certrunner.error.kind": str(error.kind)})
        if status == "failed":
            tracing.failed(span, str(error.code))
    span.end()
    _step.set(None)


def _count(run: Run, flow_name: str, step: Step, status: str, duration_ms: int,
           error: RunnerError | None) -> None:
    assert _metrics is not None
    kind = step.kind.value
    if status != "skipped":
        _metrics.STEP_SECONDS.labels(flow_name, step.id, kind).observe(duration_ms / 1000)
    action = str(getattr(step, "action", "") or "")
    if error is not None and str(error.kind) in CONSOLE_KINDS:
        console = action.split(".", 1)[0] if action else "none"
        _metrics.CONSOLE_ERRORS.labels(console, str(error.code)).inc()
    if status == "done" and action:
        outputs = run.context.get("steps", {}).get(step.id) or {}
        if outputs.get(ALREADY_DONE) is False:  # a side effect, and this run clicked it
            _metrics.SIDE_EFFECTS.labels(action).inc()
