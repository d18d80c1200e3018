"""A ticket's run: prepare it once, start it, resume it, resume what is due.

Every door (the command line, HTTP, MCP, the queue, the console) starts and resumes runs here
and nowhere else, so the rules are written once: the caller's text is checked for control
characters, the flow is found and validated, the inputs are checked against it and normalised
(a domain typed `` Q-Messy-1.Example. `` is the order's ``q-messy-1.example``), and inputs an
``ask`` step asks for (the captcha answer) are split off as single-use secrets: held in memory
for the call that received them, never written to the store, the log or the broker.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.app import files
from runner.app.people import SYSTEM, Actor
from runner.domains import normalise_inputs
from runner.engine.caller_text import check_caller_text, refuse_control_chars
from runner.engine.next_action import ProvideInput
from runner.engine.result import RunResult
from runner.engine.side_effects import CONFIRM_DONE, CONFIRM_RETRY
from runner.engine.texts import CONFIRM_PREFIX
from runner.error_codes import NextType
from runner.errors import ErrorCode, InputError, RunnerError
from runner.language.model import AskStep, Flow
from runner.language.validate import check_inputs, load_flow
from runner.shipped import FLOWS_DIR
from runner.store.runs import Run, RunStatus, RunStore

if TYPE_CHECKING:
    from runner.app.context import AppContext
    from runner.engine.executor import Executor, Progress, StepWatch
    from runner.engine.steps.context import Pause, StepContext


def flow_path(name_or_path: str) -> Path:
    """A flow by name (flows/NAME.yaml) or by path, made absolute: a run remembers its flow's
    path, and a resume may come from another directory."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate.absolute()
    named = FLOWS_DIR / f"{name_or_path}.yaml"
    if not named.exists():
        known = ", ".join(sorted(p.stem for p in FLOWS_DIR.glob("*.yaml")))
        raise InputError(f"unknown flow {name_or_path!r} (flows: {known})",
                         code=ErrorCode.UNKNOWN_FLOW)
    return named


def validate_flow(name_or_path: str) -> Flow:
    path = flow_path(name_or_path)
    if not path.exists():
        raise InputError(f"flow file not found: {path}", code=ErrorCode.FLOW_NOT_FOUND)
    return load_flow(path)


def list_flows() -> list[dict[str, str]]:
    rows = []
    for path in sorted(FLOWS_DIR.glob("*.yaml")):
        flow = validate_flow(str(path))
        rows.append({"name": flow.name, "path": str(path),
                     "description": " ".join(flow.description.split())})
    return rows


def is_shipped(path: Path) -> bool:
    """A shipped flow is found by name on every machine; another file only by its path."""
    return path.resolve().parent == FLOWS_DIR.resolve()


@dataclass(frozen=True)
class Prepared:
    """A ticket ready to run: checked, validated, normalised, its secrets apart."""

    flow: Flow
    path: Path
    ticket: str
    inputs: dict[str, Any]  # stored with the run
    secrets: dict[str, Any] = field(default_factory=dict)  # asked inputs: this call only

    @property
    def stored_path(self) -> str | None:
        """What the run remembers of its flow's file: nothing for a shipped flow."""
        return None if is_shipped(self.path) else str(self.path)


def split_secrets(flow: Flow, inputs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    asked = {s.input for s in flow.steps if isinstance(s, AskStep)}
    keep = {k: v for k, v in inputs.items() if k not in asked}
    return keep, {k: v for k, v in inputs.items() if k in asked}


FLOW_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def prepare(flow_name: str, ticket: str, inputs: dict[str, Any], *,
            named_only: bool = False) -> Prepared:
    """The one place a ticket's request is checked, in the order a person would fix it;
    ``named_only`` for a door whose callers may name a shipped flow but never a file."""
    if named_only and not FLOW_NAME.match(flow_name):
        raise InputError(f"flow must be a flow name (see list_flows), got {flow_name!r}",
                         code=ErrorCode.UNKNOWN_FLOW)
    check_caller_text(ticket, inputs)
    flow = validate_flow(flow_name)
    check_inputs(flow, inputs)
    if not ticket.strip():
        raise InputError("a ticket id is required", code=ErrorCode.MISSING_TICKET)
    keep, secrets = split_secrets(flow, normalise_inputs(inputs))
    return Prepared(flow, flow_path(flow_name), ticket, keep, secrets)


def executor(ctx: AppContext, progress: Progress | None = None, store: RunStore | None = None,
             watch: StepWatch | None = None) -> Executor:
    from runner.browser.errors import browser_error
    from runner.engine.executor import Executor

    return Executor(ctx.live_config(), store or ctx.store, ctx.clock, ctx.host.session,
                    ctx.catalogue, progress, watch, translate=browser_error,
                    before_pause=_keep_for_any_machine)


def _keep_for_any_machine(sc: StepContext, pause: Pause) -> None:
    """A run about to pause for a person keeps, where the store is, what another machine needs
    to continue it: its own console session and the captcha. Before the pause is recorded, so
    whoever sees the run paused can already fetch them."""
    if pause.status is not RunStatus.NEEDS_INPUT or str(sc.store.path) == ":memory:":
        return
    if sc.session.started:
        sc.session.keep_cookies()
    files.keep(sc.store, sc.run.run_id, pause.next_action, sc.session.run_dir)


def start(ctx: AppContext, prepared: Prepared, *, actor: Actor = SYSTEM, dry_run: bool = False,
          progress: Progress | None = None, watch: StepWatch | None = None) -> RunResult:
    """Run the ticket's flow to its end or next pause; a ticket that already has a run for
    this flow gets that run (an input it asks for right now is applied, as resume would)."""
    if dry_run:
        if progress:  # text mode: the flow as written, then the read-only steps as they run
            from runner.language.tree import tree_lines

            for line in [f"flow {prepared.flow.name}", *tree_lines(prepared.flow,
                                                                   ctx.catalogue)]:
                progress(line)
        return _dry_run(ctx, prepared, progress, watch)
    if progress:
        progress(f"run {prepared.flow.name} for ticket {prepared.ticket}")
    result = executor(ctx, progress, watch=watch).start(
        prepared.flow, prepared.ticket, prepared.inputs, prepared.secrets,
        flow_path=str(prepared.path))
    asking = result.next_action.input if isinstance(result.next_action, ProvideInput) else None
    if result.existing and result.status == RunStatus.NEEDS_INPUT.value \
            and asking in prepared.secrets:
        assert result.run_id is not None
        resumed = resume(ctx, result.run_id, {asking: prepared.secrets[asking]}, actor=actor,
                         progress=progress, watch=watch)
        resumed.existing = True
        return resumed
    _after_drive(ctx, result)
    return result


def _dry_run(ctx: AppContext, prepared: Prepared, progress: Progress | None,
             watch: StepWatch | None) -> RunResult:
    """Read-only steps for real, in a throwaway store: a dry run leaves no run behind."""
    with RunStore(":memory:") as scratch:
        result = executor(ctx, progress, scratch, watch).start(
            prepared.flow, prepared.ticket, prepared.inputs, prepared.secrets, dry_run=True)
    result.run_id = None
    return result


def load_run(ctx: AppContext, run_id: str) -> Run:
    refuse_control_chars("run id", run_id)
    run = ctx.store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id} in {ctx.store.where}", code=ErrorCode.UNKNOWN_RUN,
                         run=run_id)
    return run


def resume(ctx: AppContext, run_id: str, given: dict[str, Any], *, actor: Actor = SYSTEM,
           progress: Progress | None = None, watch: StepWatch | None = None,
           seen: str | None = None) -> RunResult:
    """Continue a paused or failed run from its step with the inputs given; a person's
    inputs (an answer, a confirmation) are recorded as their decision, never their value.
    ``seen``: the captcha image (file name) the answer was read off, when the door knows it."""
    check_caller_text(inputs=given)
    run = load_run(ctx, run_id)
    with refusing(run_id):  # nothing of the run is changed before the drive
        flow = validate_flow(run.context.get("flow_path") or run.flow)
        given = normalise_inputs(given)
        confirms = {k: v for k, v in given.items() if k.startswith(CONFIRM_PREFIX)}
        plain = {k: v for k, v in given.items() if k not in confirms}
        check_inputs(flow, {**run.inputs, **plain})
        keep, secrets = split_secrets(flow, plain)
        check_answers(ctx.store, run, confirms, secrets)  # at once, before any browser
        check_seen(run, seen)
    decided = False

    def taken() -> None:
        """Under the drive's lease: the run as it is now (another process may have answered
        since it was read) must still ask; only then is the decision recorded."""
        nonlocal decided
        now = ctx.store.get_run(run_id)
        if now is not None:
            with refusing(run_id):
                check_answers(ctx.store, now, confirms, secrets)
                check_seen(now, seen)
        if actor is not SYSTEM:
            ctx.store.decisions.record(actor.name, actor.via, _decision_name(secrets, confirms),
                                       run_id, _decision_detail(run, keep, secrets, confirms))
        decided = True

    if progress:
        progress(f"resume {run.run_id} ({flow.name}, ticket {run.ticket}) at {run.current_step}")
    files.restore(ctx.store, run, ctx.config.artifacts / run.run_id)
    result = executor(ctx, progress, watch=watch).resume(run, flow, {**keep, **confirms},
                                                         secrets, taken=taken)
    if (confirms or secrets) and not decided:  # the drive never took the run
        with refusing(run_id):
            raise InputError(f"ticket {run.ticket} (run {run_id}) does not ask for "
                             f"{', '.join(sorted({**secrets, **confirms}))} now (another "
                             "process is driving it): nothing was recorded or changed; ask for "
                             "its status", ErrorCode.ANSWER_NOT_ASKED)
    _after_drive(ctx, result)
    return result


@contextlib.contextmanager
def refusing(run_id: str) -> Iterator[None]:
    """A runner error raised inside refused a request on ``run_id`` and left the run as it was
    (so a door shows the run as it stands)."""
    try:
        yield
    except RunnerError as exc:
        exc.refused_run = run_id
        raise


def check_answers(store: RunStore, run: Run, confirms: dict[str, Any],
                  answers: dict[str, Any]) -> None:
    """A person's answer (a confirmation, or an input an ``ask`` step asks for) is taken only
    as the answer to the question the run asks now.

    Given at another time it would be recorded as a decision that decided nothing, and a
    confirmation would be kept with the run's inputs, to answer a later question nobody had
    seen: a ``retry`` given early would remake an interrupted refund without waiting for it to
    settle. So it is refused, and nothing is recorded."""
    action = run.next_action or {}
    asking = action.get("input") if run.status == RunStatus.NEEDS_INPUT else None
    confirming = action.get("type") == NextType.CONFIRM_SIDE_EFFECT
    for name, value in {**answers, **confirms}.items():
        if name != asking or (name in confirms) != confirming:
            now = f"it asks for {asking}" if asking else f"it is {run.status}"
            by = answered_by(store, run.run_id)
            raise InputError(f"ticket {run.ticket} (run {run.run_id}) does not ask for {name} "
                             f"now ({now}{'; ' + by if by else ''}): nothing was recorded or "
                             "changed", ErrorCode.ANSWER_NOT_ASKED, input=name)
        if name in confirms and str(value) not in (CONFIRM_RETRY, CONFIRM_DONE):
            raise InputError(f"{name} is {CONFIRM_RETRY} (it did not happen: do it again) or "
                             f"{CONFIRM_DONE} (it happened), not {value!r}",
                             ErrorCode.ANSWER_NOT_ASKED, input=name)


def check_seen(run: Run, seen: str | None) -> None:
    """An answer read off a captcha image the run no longer asks about (a new one came after a
    rejected or expired answer) would be wrong for the new image and cost one of the run's
    tries: refused, not sent."""
    action = run.next_action or {}
    if seen is None or Path(str(action.get("artifact") or "")).name == seen:
        return
    previous = action.get("previous_answer")
    why = f" (the last answer was {previous})" if previous else ""
    raise InputError(f"ticket {run.ticket}: the captcha changed since your page showed it{why};"
                     " nothing was sent: read the new image and answer again",
                     ErrorCode.ANSWER_NOT_ASKED)


def answered_by(store: RunStore, run_id: str) -> str:
    """Who last answered the run, for a person whose page asked a question already answered
    (two had it open): so they know it was taken care of, and by whom."""
    answers = [d for d in store.decisions.for_run(run_id) if d.action in ("answer", "confirm")]
    if not answers:
        return ""
    last = answers[-1]
    return f"{last.actor} answered it at {last.ts:%H:%M} UTC through {last.via}"


def _decision_name(secrets: dict[str, Any], confirms: dict[str, Any]) -> str:
    if confirms:
        return "confirm"
    return "answer" if secrets else "retry"


def _decision_detail(run: Run, keep: dict[str, Any], secrets: dict[str, Any],
                     confirms: dict[str, Any]) -> dict[str, Any]:
    """What was decided, without the secret itself: the answer's name, the choice made."""
    return {"ticket": run.ticket, "step": run.current_step, "answered": sorted(secrets),
            "inputs": sorted(keep), "choices": {k: str(v) for k, v in confirms.items()}}


def _after_drive(ctx: AppContext, result: RunResult) -> None:
    """After the drive: the session as its browser context closed (the cookies written at the
    pause may have changed since)."""
    if result.run_id and result.status == RunStatus.NEEDS_INPUT.value:
        files.keep(ctx.store, result.run_id, None, ctx.config.artifacts / result.run_id)


def resume_due(ctx: AppContext, progress: Progress | None = None) -> list[RunResult]:
    """Every waiting run whose next check has come, and every run a dead process left behind
    (cron calls this); a resumed run never repeats a side effect, so this is always safe."""
    now = ctx.clock.now()
    runs = ctx.store.due_runs(now) + ctx.store.orphaned_runs(now)
    return [resume(ctx, run.run_id, {}, progress=progress) for run in runs]


def run_ticket(ctx: AppContext, flow_name: str, ticket: str, inputs: dict[str, Any], *,
               actor: Actor = SYSTEM, progress: Progress | None = None) -> RunResult:
    """``prepare`` then ``start``: one call for a caller with nothing to render in between."""
    return start(ctx, prepare(flow_name, ticket, inputs), actor=actor, progress=progress)
