"""Runs a flow for one ticket, a step at a time, persisting the run after every step.

A run lives in the store, not in this process: every step's outputs are saved before the next
step starts (one write transaction per step), a pause (a person must read a captcha, the
customer must cancel) ends the process with the run saved, and a resume continues from the step
it stopped at. This module is the loop only: each step kind is in ``runner.engine.steps``, the
texts in ``runner.engine.texts``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import datetime
from typing import Any

import structlog

from runner.actions import NOT_CLICKED, ActionSpec
from runner.clock import Clock
from runner.config import Config
from runner.engine import dry_run, texts
from runner.engine.artifacts import failure_artifacts
from runner.engine.lazy_session import SessionFactory, SessionHolder
from runner.engine.leases import LEASE, keeper_for
from runner.engine.outage import wait_for_store
from runner.engine.result import RunResult, result_of
from runner.engine.steps import End, Jump, Pause, StepContext, run_step
from runner.engine.steps.done import already_done
from runner.errors import ErrorCode, InputError, Kind, RunnerError
from runner.language.expressions import truthy
from runner.language.model import Flow, Step
from runner.logs import get_logger
from runner.observability import hooks as observe
from runner.store.runs import Run, RunStatus, RunStore, StoreUnavailable, default_owner

CONSOLE_FAILURES = "console_failures"  # in the run's context: console failures in a row
Progress = Callable[[str], None]
# Turns a browser library's error into the runner's (runner.browser.errors.browser_error); the
# engine itself knows no browser library.
ErrorTranslator = Callable[..., RunnerError | None]
# Called before a pause is recorded: whatever another machine needs to continue the run must be
# where the store is before the run reads as paused (runner.app.files).
PauseHook = Callable[[StepContext, Pause], None]
StepWatch = Callable[[str, int, int], None]  # step id, index, total: as a step starts


class Executor:
    """Drives runs; one instance per command, sharing the store and the browser host."""

    def __init__(self, config: Config, store: RunStore, clock: Clock,
                 session_factory: SessionFactory, actions: Mapping[str, ActionSpec],
                 progress: Progress | None = None, watch: StepWatch | None = None,
                 translate: ErrorTranslator | None = None,
                 before_pause: PauseHook | None = None) -> None:
        self.config = config
        self.translate = translate or (lambda _exc, **_where: None)
        self.before_pause = before_pause or (lambda _sc, _pause: None)
        self.store = store
        self.clock = clock
        self.session_factory = session_factory
        self.actions = actions
        self.progress = progress or (lambda _line: None)
        self.watch = watch or (lambda _step, _index, _total: None)
        self.owner = default_owner()
        self.log = get_logger()

    # entry points

    def start(self, flow: Flow, ticket: str, inputs: dict[str, Any],
              secret_inputs: dict[str, Any] | None = None, *, dry_run: bool = False,
              flow_path: str | None = None) -> RunResult:
        created = self.store.create_run(ticket, flow.name, inputs,
                                        {"steps": {}, "flow_path": flow_path})
        if not created.created:
            run = created.run
            result = self.result(run)
            result.existing = True
            if run.status is RunStatus.RUNNING:
                result.next_action = texts.other_process(run.run_id)
                result.customer_message = texts.customer_in_progress(run.inputs.get("domain"))
            differs = {k: v for k, v in inputs.items() if run.inputs.get(k) != v}
            if differs:
                result.next_action = texts.other_inputs(ticket, run.run_id, flow.name,
                                                        run.inputs, result.next_action, differs)
            return result
        return self._drive(created.run, flow, dict(secret_inputs or {}), dry_run=dry_run)

    def resume(self, run: Run, flow: Flow, given: dict[str, Any],
               secret_inputs: dict[str, Any] | None = None,
               taken: Callable[[], None] | None = None) -> RunResult:
        """``taken`` is called once this drive holds the run's lease, before any step: a
        caller checks there, against the run as the store holds it now, what only one
        process may do (take a person's answer), and raises to drive nothing."""
        if run.status in (RunStatus.SUCCEEDED, RunStatus.DENIED, RunStatus.ABANDONED):
            return self.result(run)
        run.inputs = {**run.inputs, **given}
        return self._drive(run, flow, dict(secret_inputs or {}), dry_run=False, given=given,
                           taken=taken)

    # the loop

    def _drive(self, run: Run, flow: Flow, secrets: dict[str, Any], *, dry_run: bool,
               given: dict[str, Any] | None = None,
               taken: Callable[[], None] | None = None) -> RunResult:
        if not self.store.acquire_lease(run.run_id, self.owner, LEASE):
            return self._elsewhere(run)
        structlog.contextvars.bind_contextvars(run_id=run.run_id, ticket=run.ticket,
                                               flow=flow.name)
        holder = SessionHolder(self.session_factory, self.config.artifacts / run.run_id)
        keeper = keeper_for(self.store)
        paused = False
        driven: Run | None = run
        try:
            if taken is not None:
                taken()
            with keeper.holding(run.run_id, self.owner) if keeper else nullcontext():
                driven = self._through_outages(run, flow, secrets, holder, dry_run, given or {})
            paused = driven is not None and driven.status in (RunStatus.WAITING,
                                                              RunStatus.NEEDS_INPUT)
        finally:
            holder.close(keep_cookies=paused)
            self._give_back(run.run_id)
            structlog.contextvars.unbind_contextvars("run_id", "ticket", "flow", "step")
        return self.result(driven) if driven is not None else self._elsewhere(run)

    def _through_outages(self, run: Run, flow: Flow, secrets: dict[str, Any],
                         holder: SessionHolder, dry_run: bool,
                         given: dict[str, Any]) -> Run | None:
        """Drive the run; a store that stops answering is waited for (``runner.engine
        .outage``) and the drive goes on from the run's last saved step. None when another
        process took the run over meanwhile; ``StoreUnavailable`` once patience runs out."""
        began = self.store.clock.now()  # the clock the store stamps updated_at with
        while True:
            try:
                with observe.drive(run, flow, self.store):  # a span per drive, never across a wait
                    self._loop(run, flow, secrets, holder, dry_run)
                return run
            except StoreUnavailable as exc:
                self.log.warning("store_unavailable", error=str(exc), step=run.current_step)
                if not wait_for_store(self.store):
                    raise
            saved = self.store.get_run(run.run_id)
            if saved is None or not self.store.acquire_lease(run.run_id, self.owner, LEASE):
                self.log.warning("run_taken_over_during_outage")
                return None
            if _stopped_meanwhile(saved, began):
                return saved
            saved.inputs = {**saved.inputs, **given}
            run = saved

    def _give_back(self, run_id: str) -> None:
        """Release the lease; if the store is down, as soon as it answers (never left to
        expire while this process, alive, no longer drives the run)."""
        try:
            self.store.release_lease(run_id, self.owner)
        except StoreUnavailable:
            keeper = keeper_for(self.store)
            if keeper is None:
                raise
            keeper.let_go(run_id, self.owner)

    def _elsewhere(self, run: Run) -> RunResult:
        result = self.result(run)
        result.next_action = texts.other_process(run.run_id)
        result.customer_message = texts.customer_in_progress(run.inputs.get("domain"))
        return result

    def _loop(self, run: Run, flow: Flow, secrets: dict[str, Any], holder: SessionHolder,
              dry_run: bool) -> None:
        ids = [s.id for s in flow.steps]
        if run.current_step is not None and run.current_step not in ids:
            raise InputError(f"run {run.run_id} stopped at step {run.current_step!r}, which flow "
                             f"{flow.name} no longer has; restore the flow or start a new run",
                             code=ErrorCode.FLOW_CHANGED, step=run.current_step)
        start = ids.index(run.current_step) if run.current_step else 0
        # A run going on has no outcome yet (a resumed failure's code is history, in its events)
        run.status, run.error, run.next_action, run.message = RunStatus.RUNNING, None, None, None
        run.outcome = None
        run.current_step = ids[start] if ids else None
        self.store.save_run(run, owner=self.owner)  # once per drive: "running" while it runs
        index: int | None = start
        while index is not None and index < len(flow.steps):
            step = flow.steps[index]
            structlog.contextvars.bind_contextvars(step=step.id)
            sc = StepContext(run, flow, step, secrets, holder, self.config, self.clock,
                             self.store, self.actions)
            index = self._step(sc, index, dry_run, ids)
        if index is not None and run.status is RunStatus.RUNNING:  # a flow without steps
            self._advance(run, ids, index)
            self.store.save_run(run, owner=self.owner)

    @staticmethod
    def _advance(run: Run, ids: list[str], index: int) -> int:
        """Move the run to step ``index`` (past the last: succeeded), in memory only: the step
        just finished records it with its event, so a crash from then on resumes there."""
        if index < len(ids):
            run.current_step = ids[index]
        else:
            run.status = RunStatus.SUCCEEDED
            run.outcome = run.outcome or "completed"
            run.message = run.message or texts.customer_finished(run.inputs.get("domain"))
        return index

    def _step(self, sc: StepContext, index: int, dry: bool, ids: list[str]) -> int | None:
        """Run one step; answer the index of the next one, or None when the run stops here."""
        run, step, total = sc.run, sc.step, len(ids)
        if step.when and not truthy(step.when, sc.expressions()):
            return self._skip(run, step, ids, index)
        self.watch(step.id, index, total)
        observe.step_started(run, step)
        started = time.monotonic()
        try:
            if dry and dry_run.would_change(step, self.actions):
                raise dry_run.stop(step, sc.expressions(), sc.domain)
            done = already_done(sc)  # unless_done: the side effect it feeds is done
            if done is not None:
                return self._skip(run, step, ids, index, _ms(started), done)
            outputs = run_step(sc)
        except Jump as jump:
            following = self._advance(run, ids, ids.index(jump.to))
            self._record(run, step, "retry", _ms(started), index, total,
                         detail=f"{jump.error.code}: back to {jump.to}", error=jump.error)
            return following
        except Pause as pause:
            self.before_pause(sc, pause)
            run.status, run.next_action = pause.status, pause.next_action.to_dict()
            run.message = pause.customer_message
            run.next_check_at = pause.next_check_at
            run.deadline = pause.deadline or run.deadline
            self._record(run, step, "paused", _ms(started), index, total,
                         detail=pause.next_action.summary)
            return None
        except End as end:
            run.status, run.outcome, run.message = end.status, end.outcome, end.customer_message
            run.next_action = end.next_action.to_dict() if end.next_action else None
            run.next_check_at = None
            self._record(run, step, "denied" if end.status is RunStatus.DENIED else "ended",
                         _ms(started), index, total, detail=end.outcome)
            return None
        except StoreUnavailable:  # not the run's failure: the drive waits for the store
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is recorded; see _as_error
            error = self._as_error(exc, sc)
            self._fail(sc, error, started, index, total)
            return None
        run.context["steps"][step.id] = outputs
        run.context.pop(CONSOLE_FAILURES, None)  # failures count in a row
        following = self._advance(run, ids, index + 1)
        self._record(run, step, "done", _ms(started), index, total)
        return following

    def _skip(self, run: Run, step: Step, ids: list[str], index: int, duration_ms: int = 0,
              detail: str = "") -> int:
        following = self._advance(run, ids, index + 1)
        self._record(run, step, "skipped", duration_ms, index, len(ids), detail=detail)
        return following

    def _as_error(self, exc: Exception, sc: StepContext) -> RunnerError:
        """A failure as the runner error the caller reads, with ticket and step attached."""
        where = {"step": sc.step.id, "ticket": sc.run.ticket}
        if isinstance(exc, RunnerError):
            return exc.with_context(**where)
        translated = self.translate(exc, **where)
        if translated is not None:  # a browser failure no page object translated
            return translated
        # A bug of ours: keep the run resumable and say so; the traceback goes to the log.
        self.log.exception("internal_error", error=repr(exc))
        return RunnerError(f"internal error ({type(exc).__name__}: {exc}); tell the "
                           "maintainers", ErrorCode.INTERNAL_ERROR, where)

    # bookkeeping

    def _fail(self, sc: StepContext, exc: RunnerError, started: float, index: int,
              total: int) -> None:
        run, step = sc.run, sc.step
        run.status = RunStatus.FAILED
        run.error = {**exc.to_dict(), "step": step.id}
        run.outcome = str(exc.code)
        run.message = texts.customer_failure(exc, sc.domain)
        answers = [str(value) for value in sc.secrets.values()]
        run.context.setdefault("artifacts", []).extend(
            failure_artifacts(sc.session, step.id, answers))
        run.next_action = texts.failure(run.run_id, exc).to_dict()
        run.next_check_at = None
        if exc.kind is Kind.CONSOLE:
            self._schedule_retry(run, exc)
        self._record(run, step, "failed", _ms(started), index, total,
                     detail=f"{exc.kind}/{exc.code}: {exc}", error=exc)

    def _schedule_retry(self, run: Run, exc: RunnerError) -> None:
        """A console failure is retried by ``resume --due`` (``next_check_at``) with backoff,
        until ``retries.console_attempts`` failures in a row; then the maintainers are told."""
        policy = self.config.retries
        failures = int(run.context.get(CONSOLE_FAILURES, 0)) + 1
        run.context[CONSOLE_FAILURES] = failures
        assert run.error is not None
        if policy.exhausted(failures):
            run.error["retries_exhausted"] = True
            run.next_action = texts.console_down(run.run_id, exc, failures).to_dict()
            run.message = texts.CUSTOMER_CONSOLE_DOWN
            return
        retry_at = self.clock.now() + policy.delay(failures)
        run.next_check_at = retry_at
        run.error["retry_after"] = retry_at.isoformat()
        run.next_action = texts.retry_later(run.run_id, retry_at, failures,
                                            policy.attempts).to_dict()

    def _record(self, run: Run, step: Step, status: str, duration_ms: int, index: int,
                total: int, detail: str = "", error: RunnerError | None = None) -> None:
        """One event per step: in the store (run row, event and lease renewal in one write
        transaction, with the drive's trace id), in the log, in the metrics and the step's
        span, and a progress line. A side-effect step that failed before its click says
        ``not_clicked`` (the evidence that resuming it needs no person)."""
        data: dict[str, Any] = {"detail": detail} if detail else {}
        if error is not None and error.context.get(NOT_CLICKED):
            data[NOT_CLICKED] = True
        self.store.record_step(run, step.id, step.kind.value, status, owner=self.owner,
                               lease=LEASE, duration_ms=duration_ms,
                               data={**data, **observe.event_ids()})
        observe.step_recorded(run, run.flow, step, status, duration_ms, error)
        self.log.info("step", kind=step.kind.value, status=status, duration_ms=duration_ms,
                      detail=detail or None)
        self.progress(f"  [{index + 1}/{total}] {step.id:<18} {status:<8} {duration_ms:>6} ms"
                      + (f"  {detail}" if detail else ""))

    def result(self, run: Run) -> RunResult:
        return result_of(run, self.store.events(run.run_id))


def _stopped_meanwhile(saved: Run, began: datetime) -> bool:
    """The run as saved ended or paused since the drive began: the drive's last write landed
    though its answer was lost in the outage (or a person abandoned the run), so there is
    nothing more to drive."""
    if saved.status in (RunStatus.SUCCEEDED, RunStatus.DENIED, RunStatus.ABANDONED):
        return True
    return saved.status is not RunStatus.RUNNING and saved.updated_at >= began


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
