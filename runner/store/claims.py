"""Claims for a queue: which runs a sweep hands to workers, taken so no other sweep takes them.

A claim is the run's lease, held by a ``queued:`` owner until a worker picks the task up or the
claim expires: while it holds, no other sweep (on this machine or another) enqueues the run
again, and if the task is lost the expiry makes the run due once more. Candidates are read
``FOR UPDATE SKIP LOCKED`` in PostgreSQL, so two sweeps at the same moment split the runs
between them instead of waiting on each other; SQLite's write lock serialises them anyway.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from runner.store.db import transaction, ts
from runner.store.owners import held
from runner.store.runs import RunStatus, RunStore

QUEUED = "queued:"


@dataclass(frozen=True)
class QueueClaim:
    run_id: str
    owner: str  # ``queued:<token>``; the token is also the task's id

    @property
    def token(self) -> str:
        return self.owner.removeprefix(QUEUED)


def new_claim_owner() -> str:
    return f"{QUEUED}{secrets.token_hex(8)}"


def claim_run(store: RunStore, run_id: str, ttl: timedelta) -> QueueClaim | None:
    """Claim one run for the queue; None while anyone (a worker, another claim) holds it."""
    owner = new_claim_owner()
    return QueueClaim(run_id, owner) if store.acquire_lease(run_id, owner, ttl) else None


def claim_due_runs(store: RunStore, ttl: timedelta, limit: int = 500,
                   now: datetime | None = None) -> list[QueueClaim]:
    """Waiting runs whose check has come, and running or queued runs no live process holds
    (their worker died, or their task was lost), oldest first, each claimed for the queue."""
    moment = now or store.clock.now()
    at, until = ts(moment) or "", ts(moment + ttl)
    claims: list[QueueClaim] = []
    with transaction(store.db) as db:
        rows = db.execute(
            "SELECT run_id, lease_owner, lease_expires_at FROM runs WHERE (status = ? AND "
            "next_check_at <= ?) OR status IN (?, ?) ORDER BY updated_at" + db.dialect.claim_rows,
            (RunStatus.WAITING.value, at, RunStatus.RUNNING.value,
             RunStatus.QUEUED.value)).fetchall()
        for row in rows:
            if len(claims) >= limit or held(row, at):
                continue
            claim = QueueClaim(row["run_id"], new_claim_owner())
            db.execute("UPDATE runs SET lease_owner = ?, lease_expires_at = ? WHERE run_id = ?",
                       (claim.owner, until, claim.run_id))
            claims.append(claim)
    return claims
