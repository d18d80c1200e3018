"""Listing and abandoning runs, for the service's doors: the store's own rules, plus the lease.

The store decides what abandoning means (``RunStore.abandon_run``: never for a finished run, a
second time changes nothing) and the CLI's ``runs abandon`` names what a person must check
first; this adds what only a long-lived process with workers needs: a run a worker (here or in
another process) is mid-step on is not abandoned under it, since that worker's next save would
quietly bring the run back.
"""

from __future__ import annotations

from datetime import timedelta

from runner.cli.runs import what_to_check
from runner.engine.store import LedgerStatus, Run, RunStore, StoreError
from runner.error_codes import ErrorCode
from runner.errors import InputError

LIST_LIMIT = 200


def list_runs(store: RunStore, *, ticket: str | None = None, flow: str | None = None,
              status: str | None = None, limit: int = 50) -> list[Run]:
    """Newest first, filtered by any of ticket, flow and status."""
    return store.list_runs(status=status, ticket=ticket, flow=flow,
                           limit=min(limit, LIST_LIMIT))


def abandon_run(store: RunStore, run_id: str, owner: str, reason: str) -> Run:
    """Stop a run for good: it is never resumed or picked up by the scheduler again.

    Refused while another process holds the run (it is mid-step), while one of its side effects
    is unconfirmed (a person checks the console, then resumes, or forces from the CLI), and for
    a finished run.
    """
    if not reason.strip():
        raise InputError("say why the run is abandoned (reason)", ErrorCode.MISSING_REASON)
    if store.get_run(run_id) is None:
        raise InputError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN)
    if not store.acquire_lease(run_id, owner, timedelta(minutes=1)):
        raise StoreError(f"run {run_id} is being worked on right now; abandon it once it "
                         "has paused", ErrorCode.RUN_IN_PROGRESS, run=run_id)
    try:
        unsure = [e for e in store.ledger_for_run(run_id) if e.status is LedgerStatus.ATTEMPTING]
        if unsure:
            raise InputError(
                f"run {run_id} is not abandoned: {'; '.join(what_to_check(e) for e in unsure)}. "
                "If it happened, resume the run and confirm it (the run asks how); to abandon "
                "it anyway, a person runs `certrunner runs abandon --force`",
                ErrorCode.SIDE_EFFECT_UNCONFIRMED)
        return store.abandon_run(run_id, reason)
    finally:
        store.release_lease(run_id, owner)
