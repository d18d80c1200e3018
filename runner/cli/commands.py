"""What each CLI command does, kept out of run.py so that run.py stays a thin parser.

Inputs that an ``ask`` step asks for (the captcha answer) are single-use secrets: they are held
in memory for the command that received them and never written to the store or the log.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.domains import normalise_inputs
from runner.engine.caller_text import check_caller_text, refuse_control_chars
from runner.engine.result import RunResult
from runner.engine.texts import CONFIRM_PREFIX
from runner.errors import ErrorCode, InputError
from runner.language.model import AskStep, Flow
from runner.language.validate import check_inputs, load_flow
from runner.store.runs import Run, RunStore

if TYPE_CHECKING:
    from runner.cli.app import App
    from runner.engine.executor import Executor, Progress

from runner.shipped import FLOWS_DIR  # noqa: E402


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


def _split_secrets(flow: Flow, inputs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    asked = {s.input for s in flow.steps if isinstance(s, AskStep)}
    keep = {k: v for k, v in inputs.items() if k not in asked}
    return keep, {k: v for k, v in inputs.items() if k in asked}


def executor(app: App, progress: Progress | None, store: RunStore | None = None) -> Executor:
    from runner.browser.errors import browser_error
    from runner.cli.progress import LiveProgress
    from runner.engine.executor import Executor

    watch = progress.step_started if isinstance(progress, LiveProgress) else None
    return Executor(app.live_config(), store or app.store, app.clock, app.host.session,
                    app.catalogue, progress, watch, translate=browser_error)


def run_flow(app: App, flow_name: str, ticket: str, inputs: dict[str, Any], *,
             dry_run: bool = False, progress: Progress | None = None) -> RunResult:
    check_caller_text(ticket, inputs)
    flow = validate_flow(flow_name)
    check_inputs(flow, inputs)
    if not ticket.strip():
        raise InputError("a ticket id is required", code=ErrorCode.MISSING_TICKET)
    inputs = normalise_inputs(inputs)  # before the search, the one-run-per-ticket check, messages
    keep, secrets = _split_secrets(flow, inputs)
    if dry_run:
        if progress:  # text mode: the flow as written, then the read-only steps as they run
            from runner.language.tree import tree_lines

            for line in [f"flow {flow.name}", *tree_lines(flow, app.catalogue)]:
                progress(line)
        return _dry_run(app, flow, ticket, keep, secrets, progress)
    if progress:
        progress(f"run {flow.name} for ticket {ticket}")
    return executor(app, progress).start(flow, ticket, keep, secrets,
                                         flow_path=str(flow_path(flow_name)))



def _dry_run(app: App, flow: Flow, ticket: str, keep: dict[str, Any], secrets: dict[str, Any],
             progress: Progress | None) -> RunResult:
    """Read-only steps for real, in a throwaway store: a dry run leaves no run behind."""
    with RunStore(":memory:") as scratch:
        result = executor(app, progress, scratch).start(flow, ticket, keep, secrets,
                                                        dry_run=True)
    result.run_id = None
    return result


def _load_run(app: App, run_id: str) -> Run:
    run = app.store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id} in {app.store.where}", code=ErrorCode.UNKNOWN_RUN)
    return run


def resume_run(app: App, run_id: str, given: dict[str, Any],
               progress: Progress | None = None) -> RunResult:
    refuse_control_chars("run id", run_id)
    check_caller_text(inputs=given)
    run = _load_run(app, run_id)
    flow = validate_flow(run.context.get("flow_path") or run.flow)
    given = normalise_inputs(given)
    confirms = {k: v for k, v in given.items() if k.startswith(CONFIRM_PREFIX)}
    check_inputs(flow, {**run.inputs, **{k: v for k, v in given.items() if k not in confirms}})
    keep, secrets = _split_secrets(flow, {k: v for k, v in given.items() if k not in confirms})
    if progress:
        progress(f"resume {run.run_id} ({flow.name}, ticket {run.ticket}) at {run.current_step}")
    return executor(app, progress).resume(run, flow, {**keep, **confirms}, secrets)


def resume_due(app: App, progress: Progress | None = None) -> list[RunResult]:
    """Every waiting run whose next check has come, and every run a dead process left behind
    (cron calls this); a resumed run never repeats a side effect, so this is always safe."""
    now = app.clock.now()
    runs = app.store.due_runs(now) + app.store.orphaned_runs(now)
    return [resume_run(app, run.run_id, {}, progress) for run in runs]
