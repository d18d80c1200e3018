"""The tasks workers run. Each may be delivered twice (at-least-once), so each is idempotent.

``advance`` drives one run as far as it goes (to its end, or its next pause) through the
application layer's ``resume``; a second delivery finds the run finished, paused and not yet
due, or held by the live worker that has it, and does nothing. A run whose worker died
mid-step is resumed from its last saved step, and before any click the ledger guard reads the
console (was the refund made?), so the ledger, not the queue, keeps a refund to one per order.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from celery.signals import worker_init, worker_shutdown

from runner.app.handoff import send_claimed
from runner.app.queue import celery, claim_ttl
from runner.app.queue_watch import report_stale
from runner.errors import RunnerError
from runner.logs import get_logger
from runner.observability import worker as observed
from runner.store.claims import claim_due_runs
from runner.store.runs import Run, RunStatus
from runner.workers import runtime

log = get_logger()
observed.install()  # a queued run's trace context travels in its task's headers


@worker_init.connect
def _start_browser(sender: Any = None, **_kwargs: Any) -> None:
    runtime.start(os.environ.get("CERTRUNNER_CONFIG"))
    observed.start_metrics(runtime.config(), getattr(sender, "concurrency", 1), runtime.browser_up)


@worker_shutdown.connect
def _stop_browser(**_kwargs: Any) -> None:
    runtime.stop()


def _should_drive(run: Run, now: datetime, held: bool) -> bool:
    """Queued or running and nobody on it (new, or its worker died), or waiting and due."""
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return not held
    return (run.status is RunStatus.WAITING and run.next_check_at is not None
            and run.next_check_at <= now)


@celery.task(name="certrunner.advance")
def advance(run_id: str, claim: str | None = None) -> dict[str, Any]:
    """Drive one run; ``claim`` is the queue's hold on it, given back before driving."""
    from runner.app.tickets import resume

    app = runtime.app()
    if claim:
        app.store.release_lease(run_id, claim)
    run = app.store.get_run(run_id)
    if run is None:
        log.warning("advance_unknown_run", run_id=run_id)
        return {"run_id": run_id, "driven": False}
    if not _should_drive(run, app.clock.now(), app.store.lease_alive(run_id)):
        log.info("advance_skipped", run_id=run_id, status=str(run.status))
        return {"run_id": run_id, "driven": False, "status": str(run.status)}
    try:
        result = resume(app, run_id, {})
    except RunnerError as exc:  # the run could not start (its flow changed): a person looks
        log.warning("advance_refused", run_id=run_id, code=str(exc.code), error=str(exc))
        return {"run_id": run_id, "driven": False, "error": exc.to_dict()}
    notifier = runtime.notifier()
    if notifier is not None:  # a run that now waits for a person: tell them, from here too
        notifier.after_drive(result)
    return {"run_id": run_id, "driven": True, "status": result.status,
            "outcome": result.outcome}


@celery.task(name="certrunner.sweep")
def sweep() -> int:
    """Beat's periodic task: hand every due or orphaned run to the queue (claimed first, so a
    sweep on another machine does not enqueue it too): waiting runs whose check came, running
    runs nobody holds (their worker died, or gave up during a store outage), queued runs whose
    claim expired (the broker lost the task). Claims the broker refused are let go."""
    store = runtime.app().store
    report_stale(store, store.clock.now(), runtime.notifier())
    sent = send_claimed(store, claim_due_runs(store, claim_ttl()))
    if sent:
        log.info("sweep_enqueued", runs=sent)
    return sent


@celery.task(name="certrunner.verify_selectors")
def verify_selectors() -> int:
    """The nightly selector check, on a worker's warm browser. Its HTML, JUnit, JSON and patch
    are kept in the state home, a folder per night (``runner.selectors.nights``); alerts go to
    ``CERTRUNNER_NOTIFY_URL`` and link them, and the log says where they are. Returns the
    check's exit code (0 clean, 1 drift, 2 down)."""
    from runner.selectors.command import Outputs, check_and_report

    outputs = Outputs(as_json=True, notify_url=os.environ.get("CERTRUNNER_NOTIFY_URL"),
                      keep_night=True)
    code, data = check_and_report(runtime.app(), outputs, echo=lambda *_a, **_k: None)
    (log.info if code == 0 else log.warning)(
        "selector_check_done", exit_code=code, headline=data.get("headline", ""),
        reports=data.get("reports", {}), error=data.get("error"))
    return code
