"""What a task's page and a run's page show, gathered from the store in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.app import inbox
from runner.engine.result import RunResult
from runner.error_codes import ErrorCode, NextType
from runner.errors import InputError
from runner.store.runs import RunStore

IMAGES = (".png", ".jpg", ".jpeg")
CHOICE_LABELS = {"retry": "It did not happen: do it now", "done": "It happened: mark it done"}


def _run(store: RunStore, result: RunResult) -> Any:
    run = store.get_run(result.run_id or "")
    if run is None:
        raise InputError(f"no run {result.run_id}", ErrorCode.UNKNOWN_RUN)
    return run


def task_view(store: RunStore, result: RunResult) -> dict[str, Any]:
    run = _run(store, result)
    task = inbox.task_of(store, run, store.clock.now())
    action = run.next_action or {}
    captcha = action.get("artifact") if action.get("type") == NextType.PROVIDE_INPUT else None
    ledger = [e for e in store.ledger.for_run(run.run_id)]
    if action.get("order"):
        ledger += [e for e in store.ledger.for_order(str(action["order"])) if e not in ledger]
    return {"result": result, "run": run, "task": task, "action": action,
            "captcha": Path(captcha).name if captcha else None, "ledger": ledger,
            "choice_labels": CHOICE_LABELS,
            "typed": bool(task and any(not choices for _, choices in task.fields)),
            "decisions": store.decisions.for_run(run.run_id)}


def run_view(store: RunStore, result: RunResult) -> dict[str, Any]:
    run = _run(store, result)
    names = [Path(a).name for a in dict.fromkeys(result.artifacts)]
    return {"result": result, "run": run, "task": inbox.task_of(store, run, store.clock.now()),
            "events": store.events(run.run_id),
            "decisions": store.decisions.for_run(run.run_id),
            "ledger": store.ledger.for_run(run.run_id),
            "images": [n for n in names if n.endswith(IMAGES)],
            "downloads": [n for n in names if not n.endswith(IMAGES)],
            "finished": str(run.status) in ("succeeded", "denied", "abandoned")}
