"""Runs a flow for one ticket, a step at a time, persisting the run after every step.

A run lives in the store, not in this process: every step's outputs are saved before the next
step starts, a pause (a person must read a captcha, the customer must cancel) ends the process
with the run saved, and a resume continues from the step it stopped at. Side effects go through
the ledger (runner.engine.side_effects) so nothing is clicked twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from playwright.sync_api import Error as PlaywrightError

from runner.actions import ActionSpec, Effect
from runner.config import Config
from runner.engine.clock import Clock
from runner.engine.result import RunResult, result_of
from runner.engine.side_effects import (
    CONFIRM_DONE,
    CONFIRM_RETRY,
    LedgerGuard,
    NeedsConfirmation,
    plain,
)
from runner.engine.store import Run, RunStatus, RunStore, default_owner
from runner.engine.window import cap_deadline, decide, long_date
from runner.errors import BusinessError, ConsoleError, InputError, Kind, RunnerError
from runner.language.expressions import render_value, truthy
from runner.language.model import (
    ActionStep,
    AskStep,
    EndStep,
    Flow,
    GateStep,
    OnExpired,
    Step,
    WaitStep,
)
from runner.logs import get_logger

LEASE = timedelta(minutes=15)
Progress = Callable[[str], None]
NEXT_BY_KIND = {Kind.CONSOLE: "retry_later", Kind.DRIFT: "alert_maintainers",
                Kind.BUSINESS: "tell_customer", Kind.INPUT: "fix_ticket"}
IN_PROGRESS_ACTION = {"type": "wait_for_other_process",
                      "summary": "another process is working on this run right now (or died "
                                 "mid-step); ask for its status again in a minute, or resume it"}


@dataclass
class _Pause(Exception):
    status: RunStatus
    next_action: dict[str, Any]
    next_check_at: datetime | None = None
    deadline: datetime | None = None


@dataclass
class _End(Exception):
    status: RunStatus
    outcome: str
    message: str | None
    next_action: dict[str, Any] | None = None


@dataclass
class _Jump(Exception):
    to: str
    error: RunnerError


class SessionHolder:
    """Starts the run's browser context only when a step needs a console."""

    def __init__(self, factory: Callable[[Path, Path | None], Any], run_dir: Path) -> None:
        self.factory = factory
        self.run_dir = run_dir
        self.cookies = run_dir / "cookies.json"
        self._session: Any = None

    def get(self) -> Any:
        if self._session is None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._session = self.factory(self.run_dir, self.cookies)
        return self._session

    @property
    def started(self) -> bool:
        return self._session is not None

    def close(self, keep_cookies: bool) -> None:
        if self._session is None:
            return
        if keep_cookies:
            self._session.save_cookies(self.cookies)
        else:
            self.cookies.unlink(missing_ok=True)
        self._session.close()
        self._session = None


class Executor:
    """Drives runs; one instance per command, sharing the store and the browser host."""

    def __init__(self, config: Config, store: RunStore, clock: Clock,
                 session_factory: Callable[[Path, Path | None], Any],
                 actions: Mapping[str, ActionSpec], progress: Progress | None = None) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.session_factory = session_factory
        self.actions = actions
        self.progress = progress or (lambda _line: None)
        self.owner = default_owner()
        self.log = get_logger()

    # entry points

    def start(self, flow: Flow, ticket: str, inputs: dict[str, Any],
              secret_inputs: dict[str, Any] | None = None, *, dry_run: bool = False,
              flow_path: str | None = None) -> RunResult:
        created = self.store.create_run(ticket, flow.name, inputs,
                                        {"steps": {}, "log": [], "flow_path": flow_path})
        if not created.created:
            result = self.result(created.run)
            result.existing = True
            if created.run.status is RunStatus.RUNNING:
                result.next_action = IN_PROGRESS_ACTION
            differs = {k: v for k, v in inputs.items() if created.run.inputs.get(k) != v}
            if differs:
                result.next_action = {
                    "type": "existing_run_other_inputs",
                    "summary": f"ticket {ticket} already has run {created.run.run_id} of "
                               f"{flow.name} with {created.run.inputs}; nothing was started. "
                               "One run per ticket: to correct a failed run's input, resume it "
                               "with --input; for another order, use another ticket",
                    "previous": result.next_action}
            return result
        return self._drive(created.run, flow, dict(secret_inputs or {}), dry_run=dry_run)

    def resume(self, run: Run, flow: Flow, given: dict[str, Any],
               secret_inputs: dict[str, Any] | None = None) -> RunResult:
        if run.status in (RunStatus.SUCCEEDED, RunStatus.DENIED):
            return self.result(run)
        run.inputs = {**run.inputs, **given}
        return self._drive(run, flow, dict(secret_inputs or {}), dry_run=False)

    # the loop

    def _drive(self, run: Run, flow: Flow, secrets: dict[str, Any], *, dry_run: bool) -> RunResult:
        if not self.store.acquire_lease(run.run_id, self.owner, LEASE):
            result = self.result(run)
            result.next_action = IN_PROGRESS_ACTION
            return result
        structlog.contextvars.bind_contextvars(run_id=run.run_id, ticket=run.ticket,
                                               flow=flow.name)
        holder = SessionHolder(self.session_factory, self.config.artifacts / run.run_id)
        paused = False
        try:
            self._loop(run, flow, secrets, holder, dry_run)
            paused = run.status in (RunStatus.WAITING, RunStatus.NEEDS_INPUT)
        finally:
            holder.close(keep_cookies=paused)
            self.store.release_lease(run.run_id, self.owner)
            structlog.contextvars.unbind_contextvars("run_id", "ticket", "flow", "step")
        return self.result(run)

    def _loop(self, run: Run, flow: Flow, secrets: dict[str, Any], holder: SessionHolder,
              dry_run: bool) -> None:
        ids = [s.id for s in flow.steps]
        if run.current_step is not None and run.current_step not in ids:
            raise InputError(f"run {run.run_id} stopped at step {run.current_step!r}, which flow "
                             f"{flow.name} no longer has; restore the flow or start a new run",
                             code="flow_changed", step=run.current_step)
        index = ids.index(run.current_step) if run.current_step else 0
        run.status, run.error, run.next_action = RunStatus.RUNNING, None, None
        total = len(flow.steps)
        while index < total:
            step = flow.steps[index]
            if run.current_step != step.id:
                run.current_step = step.id  # a crash from here on resumes at this step
                self.store.save_run(run, owner=self.owner)
            structlog.contextvars.bind_contextvars(step=step.id)
            ctx = self._expr_ctx(run, secrets)
            if step.when and not truthy(step.when, ctx):
                self._record(run, step, "skipped", 0, index, total)
                index += 1
                continue
            started = time.monotonic()
            try:
                if dry_run and self._would_change(step):
                    raise self._dry_run_stop(step, ctx)
                outputs = self._step(run, flow, step, ctx, secrets, holder)
            except _Jump as jump:
                self._record(run, step, "retry", self._ms(started), index, total,
                             detail=f"{jump.error.code}: back to {jump.to}")
                index = ids.index(jump.to)
                continue
            except _Pause as pause:
                run.status, run.next_action = pause.status, pause.next_action
                run.next_check_at = pause.next_check_at
                run.deadline = pause.deadline or run.deadline
                self._record(run, step, "paused", self._ms(started), index, total,
                             detail=pause.next_action.get("summary", ""))
                return
            except _End as end:
                run.status, run.outcome, run.message = end.status, end.outcome, end.message
                run.next_action = end.next_action
                run.next_check_at = None
                self._record(run, step, "denied" if end.status is RunStatus.DENIED else "ended",
                             self._ms(started), index, total, detail=end.outcome)
                return
            except RunnerError as exc:
                self._fail(run, step, exc.with_context(step=step.id, ticket=run.ticket),
                           holder, started, index, total)
                return
            except PlaywrightError as exc:
                # A browser failure no page object translated: the console or browser, not us.
                error = ConsoleError(f"browser error: {exc.message.splitlines()[0]}",
                                     code="browser_error", step=step.id, ticket=run.ticket)
                self._fail(run, step, error, holder, started, index, total)
                return
            except Exception as exc:
                # A bug of ours: keep the run resumable and say so; the traceback goes to the log.
                self.log.exception("internal_error", error=repr(exc))
                internal = RunnerError(f"internal error ({type(exc).__name__}: {exc}); tell "
                                       "the maintainers", code="internal_error", kind=Kind.DRIFT,
                                       context={"step": step.id, "ticket": run.ticket})
                self._fail(run, step, internal, holder, started, index, total)
                return
            run.context["steps"][step.id] = outputs
            self._record(run, step, "done", self._ms(started), index, total)
            index += 1
        run.status = RunStatus.SUCCEEDED
        run.outcome = run.outcome or "completed"
        self.store.save_run(run, owner=self.owner)

    def _step(self, run: Run, flow: Flow, step: Step, ctx: dict[str, Any],
              secrets: dict[str, Any], holder: SessionHolder) -> dict[str, Any]:
        if isinstance(step, GateStep):
            return self._gate(run, step, ctx)
        if isinstance(step, AskStep):
            return self._ask(run, step, ctx, secrets)
        if isinstance(step, WaitStep):
            return self._wait(run, step, ctx, holder)
        if isinstance(step, EndStep):
            message = render_value(step.message, ctx) if step.message else None
            raise _End(RunStatus(step.status.value), step.outcome,
                       " ".join(str(message).split()) if message else None)
        if isinstance(step, ActionStep):
            return self._action(run, step, ctx, secrets, holder)
        raise TypeError(f"unknown step type {type(step).__name__}")

    # step kinds

    def _gate(self, run: Run, step: GateStep, ctx: dict[str, Any]) -> dict[str, Any]:
        decision = decide(render_value(step.purchased_at, ctx), self.clock.now(),
                          self.config.refund_window)
        outputs = {"eligible": decision.eligible,
                   "purchased_at": decision.purchased_at.isoformat(),
                   "window_ends_at": decision.window_ends_at.isoformat(),
                   "window_ends_on": long_date(decision.window_ends_at),
                   "days_left": decision.days_left, "message": decision.message,
                   "enforced": step.on_expired is OnExpired.DENY}
        if not decision.eligible and step.on_expired is OnExpired.DENY:
            run.context["steps"][step.id] = outputs
            raise _End(RunStatus.DENIED, "refund_window_expired", decision.message,
                       self._offer_cancel_only(run))
        return outputs

    def _offer_cancel_only(self, run: Run) -> dict[str, Any]:
        domain = run.inputs.get("domain", "DOMAIN")
        return {"type": "offer_cancel_only", "flow": "cancel_only",
                "summary": "tell the customer the refund policy (message) and offer cancellation "
                           "without a refund",
                "command": f"python run.py run cancel_only --ticket {run.ticket} "
                           f"--domain {domain} --json"}

    def _ask(self, run: Run, step: AskStep, ctx: dict[str, Any],
             secrets: dict[str, Any]) -> dict[str, Any]:
        """An answer a person gives is used once and never stored: only "[given]" is kept."""
        value = secrets.get(step.input, run.inputs.get(step.input))
        if value not in (None, ""):
            return {"value": "[given]"}
        artifact = render_value(step.artifact, ctx) if step.artifact else None
        raise _Pause(RunStatus.NEEDS_INPUT, {
            "type": "provide_input", "input": step.input, "prompt": step.prompt,
            "artifact": artifact,
            "summary": f"{step.prompt}" + (f" (image: {artifact})" if artifact else ""),
            "command": f"python run.py resume {run.run_id} --input {step.input}=VALUE --json"})

    def _wait(self, run: Run, step: WaitStep, ctx: dict[str, Any],
              holder: SessionHolder) -> dict[str, Any]:
        now = self.clock.now()
        deadline = run.deadline or self._wait_deadline(run, step, now)
        spec = self.actions[step.action]
        outputs = plain(self._call(spec, render_value(dict(step.with_), ctx), holder))
        run.context["steps"][step.id] = outputs
        if truthy(step.until, self._expr_ctx(run, {})):
            run.deadline = run.next_check_at = None
            return outputs
        if now >= deadline:
            code = step.timeout_code or "wait_deadline_passed"
            raise BusinessError(
                f"still not done at the deadline {deadline.isoformat()}: waited for "
                f"{self._waiting_for(step, ctx)}", code=code, step=step.id)
        next_check = min(now + step.every, deadline)
        raise _Pause(RunStatus.WAITING, {
            "type": "wait", "waiting_for": self._waiting_for(step, ctx),
            "next_check_at": next_check.isoformat(), "deadline": deadline.isoformat(),
            "summary": f"waiting for {self._waiting_for(step, ctx)}; next check "
                       f"{next_check.isoformat()}, deadline {deadline.isoformat()}",
            "command": "python run.py resume --due   (cron), or "
                       f"python run.py resume {run.run_id} to check now"},
            next_check_at=next_check, deadline=deadline)

    def _waiting_for(self, step: WaitStep, ctx: dict[str, Any]) -> str:
        rendered = render_value(step.waiting_for, ctx) if step.waiting_for else step.until
        return " ".join(str(rendered).split())

    def _wait_deadline(self, run: Run, step: WaitStep, now: datetime) -> datetime:
        """A wait never outlives an enforced refund window: past it, no refund is possible."""
        deadline = now + step.deadline
        for gate in self._enforced_gates(run):
            deadline = cap_deadline(deadline, gate["window_ends_at"])
        return deadline

    def _action(self, run: Run, step: ActionStep, ctx: dict[str, Any], secrets: dict[str, Any],
                holder: SessionHolder) -> dict[str, Any]:
        spec = self.actions[step.action]
        args = render_value(dict(step.with_), ctx)
        try:
            if spec.effect is Effect.READ:
                return plain(self._call(spec, args, holder))
            return self._side_effect(run, step, spec, args, ctx, holder)
        except RunnerError as exc:
            target = step.on_error.get(exc.code)
            if target:
                self._forget_answers(run, step, secrets)
                raise _Jump(target, exc) from exc
            raise

    def _side_effect(self, run: Run, step: ActionStep, spec: ActionSpec, args: dict[str, Any],
                     ctx: dict[str, Any], holder: SessionHolder) -> dict[str, Any]:
        if spec.moves_money:
            self._recheck_window(run)
        # The validator requires a key on every side effect; the fallback keeps odd flows safe.
        order_key = (str(render_value(step.key, ctx)) if step.key
                     else repr(sorted(args.items())))
        guard = LedgerGuard(self.store, self.actions,
                            lambda s, a: self._call(s, a, holder))
        confirmation = run.inputs.get(f"confirm_{step.id}")
        try:
            return guard.run(spec, args, ticket=run.ticket, run_id=run.run_id,
                             order_key=order_key, confirmation=confirmation)
        except NeedsConfirmation as unsure:
            raise _Pause(RunStatus.NEEDS_INPUT, {
                "type": "confirm_side_effect", "input": f"confirm_{step.id}",
                "action": unsure.action, "order": unsure.order_key,
                "attempted_at": unsure.attempted_at, "console_showed": unsure.probe,
                "summary": f"an earlier attempt of {unsure.action} on {unsure.order_key} "
                           f"(at {unsure.attempted_at}) was interrupted and the console does not "
                           "show its effect: check the console, then resume with "
                           f"confirm_{step.id}={CONFIRM_RETRY} (it did not happen, try again) "
                           f"or confirm_{step.id}={CONFIRM_DONE} (it happened)",
                "command": f"python run.py resume {run.run_id} "
                           f"--input confirm_{step.id}={CONFIRM_RETRY}|{CONFIRM_DONE}"}) from None
        finally:
            run.inputs.pop(f"confirm_{step.id}", None)

    def _enforced_gates(self, run: Run) -> list[dict[str, Any]]:
        return [o for o in run.context["steps"].values()
                if isinstance(o, dict) and o.get("enforced") and "purchased_at" in o]

    def _recheck_window(self, run: Run) -> None:
        """The window may have closed while the run waited: check again right before paying."""
        gates = self._enforced_gates(run)
        if not gates:  # the validator refuses such flows; this guard is for money all the same
            raise BusinessError("refusing to refund: this run never passed an enforced refund "
                                "window gate", code="refund_without_gate")
        for gate in gates:
            decision = decide(gate["purchased_at"], self.clock.now(), self.config.refund_window)
            if not decision.eligible:
                raise _End(RunStatus.DENIED, "refund_window_expired", decision.message,
                           self._offer_cancel_only(run))

    def _forget_answers(self, run: Run, step: ActionStep, secrets: dict[str, Any]) -> None:
        """An answer the console rejected (a wrong captcha) must be asked for again."""
        for value in step.with_.values():
            for name in list(secrets) + list(run.inputs):
                if isinstance(value, str) and f"inputs.{name}" in value:
                    secrets.pop(name, None)
                    run.inputs.pop(name, None)

    def _call(self, spec: ActionSpec, args: dict[str, Any], holder: SessionHolder) -> Any:
        """Call an action; read-only ones are retried a bounded number of times."""
        attempts = 1 + (self.config.browser.read_retries if spec.effect is Effect.READ else 0)
        for attempt in range(1, attempts + 1):
            try:
                return spec.func(holder.get(), **args)
            except ConsoleError as exc:
                if attempt == attempts:
                    raise
                self.log.warning("retry", action=spec.name, attempt=attempt, code=exc.code)
        raise AssertionError("unreachable")

    # dry run

    def _would_change(self, step: Step) -> bool:
        if isinstance(step, AskStep):
            return True
        return (isinstance(step, ActionStep)
                and self.actions[step.action].effect is Effect.SIDE_EFFECT)

    def _dry_run_stop(self, step: Step, ctx: dict[str, Any]) -> _End:
        if isinstance(step, ActionStep):
            what = {"type": "would_do", "step": step.id, "action": step.action,
                    "with": render_value(dict(step.with_), ctx)}
            summary = f"would run {step.action} with {what['with']}"
        else:
            assert isinstance(step, AskStep)
            what = {"type": "would_ask", "step": step.id, "input": step.input}
            summary = f"would ask for {step.input}: {step.prompt}"
        what["summary"] = f"dry run stopped before step {step.id}: {summary}"
        return _End(RunStatus.SUCCEEDED, "dry_run", what["summary"], what)

    # bookkeeping

    def _expr_ctx(self, run: Run, secrets: Mapping[str, Any]) -> dict[str, Any]:
        return {**run.context["steps"], "inputs": {**run.inputs, **secrets}}

    def _fail(self, run: Run, step: Step, exc: RunnerError, holder: SessionHolder,
              started: float, index: int, total: int) -> None:
        run.status = RunStatus.FAILED
        run.error = {**exc.to_dict(), "step": step.id}
        run.outcome = exc.code
        if holder.started:
            shots = self._screenshots(holder, step.id)
            trace = holder.get().save_trace(holder.run_dir / f"trace-{step.id}.zip")
            run.context.setdefault("artifacts", []).extend(shots + ([str(trace)] if trace else []))
        resume = f"python run.py resume {run.run_id} --json"
        run.next_action = {
            "type": NEXT_BY_KIND.get(exc.kind, "inspect"),
            "summary": {Kind.CONSOLE: "a console is down or slow: resume this run later",
                        Kind.DRIFT: "a vendor page changed: run verify-selectors and tell the "
                                    "maintainers; resume once the page objects are fixed",
                        Kind.BUSINESS: "tell the customer (see error.message)",
                        Kind.INPUT: "fix the ticket's data, then resume this run with the "
                                    "corrected input (e.g. --input domain=...)"}.get(exc.kind, ""),
            "command": resume.replace(" --json", " --input domain=CORRECTED --json")
            if exc.kind == Kind.INPUT else resume}
        self._record(run, step, "failed", self._ms(started), index, total,
                     detail=f"{exc.kind}/{exc.code}: {exc}")

    def _screenshots(self, holder: SessionHolder, step_id: str) -> list[str]:
        paths = []
        for console, page in holder.get().open_pages().items():
            path = holder.run_dir / f"failure-{step_id}-{console}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
            except PlaywrightError as exc:
                self.log.warning("screenshot_failed", console=console, error=exc.message)
                continue
            paths.append(str(path))
        return paths

    def _record(self, run: Run, step: Step, status: str, duration_ms: int, index: int,
                total: int, detail: str = "") -> None:
        """One event per step: in the store, in the log, and a progress line."""
        run.context["log"].append({"id": step.id, "status": status, "duration_ms": duration_ms})
        self.store.acquire_lease(run.run_id, self.owner, LEASE)  # renew: we are alive
        self.store.append_event(run.run_id, step.id, step.kind.value, status,
                                duration_ms=duration_ms, data={"detail": detail} if detail else {})
        self.store.save_run(run, owner=self.owner)
        self.log.info("step", kind=step.kind.value, status=status, duration_ms=duration_ms,
                      detail=detail or None)
        self.progress(f"  [{index + 1}/{total}] {step.id:<18} {status:<8} {duration_ms:>6} ms"
                      + (f"  {detail}" if detail else ""))

    @staticmethod
    def _ms(started: float) -> int:
        return int((time.monotonic() - started) * 1000)

    def result(self, run: Run) -> RunResult:
        return result_of(run)
