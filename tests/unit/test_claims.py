"""Claims for the queue (runner.store.claims), in SQLite and PostgreSQL: which runs a sweep
enqueues, and that no run is claimed twice, by one sweep or by two at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from runner.clock import FixedClock
from runner.store.claims import QUEUED, claim_due_runs, claim_run
from runner.store.runs import RunStatus, RunStore
from tests.threads import all_at_once

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)


def test_a_sweep_claims_due_and_orphaned_runs_once(store_target: str | Path) -> None:
    clock = FixedClock(T0)
    with RunStore(store_target, clock) as store:
        orphan = store.create_run("T-1", "f").run  # running, nobody holds it
        held = store.create_run("T-2", "f").run
        assert store.acquire_lease(held.run_id, "a-live-worker", 3 * TTL)
        due, later, done = (store.create_run(f"T-{n}", "f").run for n in (3, 4, 5))
        for run, status, check in ((due, RunStatus.WAITING, T0 - timedelta(seconds=1)),
                                   (later, RunStatus.WAITING, T0 + timedelta(hours=6)),
                                   (done, RunStatus.SUCCEEDED, None)):
            run.status, run.next_check_at = status, check
            store.save_run(run)
        claims = claim_due_runs(store, TTL)
        assert sorted(c.run_id for c in claims) == sorted([orphan.run_id, due.run_id])
        assert all(c.owner.startswith(QUEUED) and store.lease_alive(c.run_id) for c in claims)
        assert claim_due_runs(store, TTL) == []  # claimed: no second sweep takes them
        assert claim_run(store, orphan.run_id, TTL) is None
        clock.advance(TTL + timedelta(seconds=1))  # the task was lost: due again
        assert len(claim_due_runs(store, TTL)) == 2


def test_two_sweeps_at_once_split_the_runs(store_target: str | Path) -> None:
    """Two machines' sweeps at the same moment: every run claimed exactly once."""
    with RunStore(store_target) as store:
        for n in range(40):
            store.create_run(f"T-{n}", "f")

    def sweep(_: int, together: Callable[[], None]) -> list[str]:
        with RunStore(store_target) as own:
            together()
            return [c.run_id for c in claim_due_runs(own, TTL)]

    claimed = [run_id for sweep_claims in all_at_once(2, sweep) for run_id in sweep_claims]
    assert len(claimed) == len(set(claimed)) == 40
