"""Listing and abandoning runs, for the service's doors.

The store is about to grow ``list_runs`` and ``abandon_run`` (and an ``abandoned`` status);
until it has them these stand-ins give the same answers on today's schema: an abandoned run is
stored as failed with outcome ``abandoned``, error code ``run_abandoned`` and no next action,
which no scheduler picks up and no resume continues.
"""

from __future__ import annotations

from datetime import timedelta

from runner.engine import texts
from runner.engine.store import Run, RunStatus, RunStore, StoreError
from runner.error_codes import ErrorCode
from runner.errors import InputError

ABANDONED = "abandoned"
LIST_LIMIT = 200


def is_abandoned(run: Run) -> bool:
    return str(run.status) == ABANDONED or run.outcome == ABANDONED


def list_runs(store: RunStore, *, ticket: str | None = None, flow: str | None = None,
              status: str | None = None, limit: int = 50) -> list[Run]:
    """Newest first, filtered by any of ticket, flow and status."""
    native = getattr(store, "list_runs", None)
    if native is not None:
        return list(native(ticket=ticket, flow=flow, status=status, limit=limit))
    where, args = [], []
    for column, value in (("ticket", ticket), ("flow", flow)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    if status == ABANDONED:
        where.append("outcome = ?")
        args.append(ABANDONED)
    elif status:
        where.append("status = ?")
        args.append(status)
    sql = "SELECT run_id FROM runs" + (f" WHERE {' AND '.join(where)}" if where else "")
    rows = store.db.execute(f"{sql} ORDER BY created_at DESC, rowid DESC LIMIT ?",
                            (*args, min(limit, LIST_LIMIT))).fetchall()
    return [run for row in rows if (run := store.get_run(row["run_id"])) is not None]


def abandon_run(store: RunStore, run_id: str, owner: str, reason: str) -> Run:
    """Stop a run for good: it is never resumed or picked up by the scheduler again.

    Refused while another process holds the run (it is mid-step) and for finished runs.
    """
    native = getattr(store, "abandon_run", None)
    if native is not None:
        abandoned: Run = native(run_id, reason=reason)
        return abandoned
    run = store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN)
    if run.status in (RunStatus.SUCCEEDED, RunStatus.DENIED) or is_abandoned(run):
        raise InputError(f"run {run_id} has already finished ({run.status}); nothing to abandon",
                         ErrorCode.RUN_FINISHED)
    if not store.acquire_lease(run_id, owner, timedelta(minutes=1)):
        raise StoreError(f"run {run_id} is being worked on right now; abandon it once it "
                         "has paused", ErrorCode.RUN_IN_PROGRESS, run=run_id)
    try:
        run = store.get_run(run_id) or run
        run.status, run.outcome, run.next_check_at = RunStatus.FAILED, ABANDONED, None
        run.error = {**InputError(_abandoned(reason), ErrorCode.RUN_ABANDONED).to_dict(),
                     "step": run.current_step}
        run.next_action = None  # nothing more will happen on it
        run.message = texts.customer_abandoned(run.inputs.get("domain"))
        return store.save_run(run, owner=owner)
    finally:
        store.release_lease(run_id, owner)


def _abandoned(reason: str) -> str:
    return (f"abandoned ({reason}); nothing more will happen on this run. Side effects already "
            "done (see outputs) are not undone")
