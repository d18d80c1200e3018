"""Listing and abandoning runs, for the service's doors: the store's own rules.

The store decides what abandoning means (``RunStore.abandon_run``: never for a finished run,
never while another process is mid-step on it or one of its side effects is unconfirmed, a
second time changes nothing); the service never forces, so a person who has checked the
console uses ``certrunner runs abandon --force``.
"""

from __future__ import annotations

from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.store.runs import Run, RunStore

LIST_LIMIT = 200


def list_runs(store: RunStore, *, ticket: str | None = None, flow: str | None = None,
              status: str | None = None, limit: int = 50) -> list[Run]:
    """Newest first, filtered by any of ticket, flow and status."""
    return store.list_runs(status=status, ticket=ticket, flow=flow,
                           limit=min(limit, LIST_LIMIT))


def abandon_run(store: RunStore, run_id: str, reason: str) -> Run:
    """Stop a run for good: it is never resumed or picked up by the scheduler again."""
    if not reason.strip():
        raise InputError("say why the run is abandoned (reason)", ErrorCode.MISSING_REASON)
    return store.abandon_run(run_id, reason)
