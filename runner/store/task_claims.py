"""Who is working on a person-task: one claim per run, so a second operator sees it is taken.

A claim expires by itself (an operator who walks away does not block the task for good); taking
one is a single statement, so of two operators claiming at once exactly one holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from runner.store.db import Database, at, transaction, ts


@dataclass(frozen=True)
class TaskClaim:
    run_id: str
    operator: str
    claimed_at: datetime
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "operator": self.operator,
                "claimed_at": self.claimed_at.isoformat(),
                "expires_at": self.expires_at.isoformat()}


class TaskClaims:
    """The task_claims table on the store's connection (``RunStore.task_claims``)."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self._now = now

    def claim(self, run_id: str, operator: str, ttl: timedelta) -> TaskClaim:
        """Take (or renew) the task for ``operator``; the current holder's claim when another
        operator holds it and it has not expired (compare ``.operator``)."""
        moment = self._now()
        with transaction(self.db) as db:
            row = db.execute(
                "INSERT INTO task_claims (run_id, operator, claimed_at, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
                "operator = excluded.operator, claimed_at = excluded.claimed_at, "
                "expires_at = excluded.expires_at WHERE task_claims.operator = excluded.operator "
                "OR task_claims.expires_at <= excluded.claimed_at RETURNING *",
                (run_id, operator, ts(moment), ts(moment + ttl))).fetchone()
            if row is None:
                row = db.execute("SELECT * FROM task_claims WHERE run_id = ?",
                                 (run_id,)).fetchone()
        return _claim(row)

    def release(self, run_id: str, operator: str | None = None) -> bool:
        """Let the task go (``operator``: only if they hold it; None: whoever does)."""
        only, args = (" AND operator = ?", (run_id, operator)) if operator else ("", (run_id,))
        with transaction(self.db) as db:
            return db.execute(f"DELETE FROM task_claims WHERE run_id = ?{only}",
                              args).rowcount == 1

    def holder(self, run_id: str) -> TaskClaim | None:
        """The live claim on the task, if any."""
        row = self.db.execute("SELECT * FROM task_claims WHERE run_id = ? AND expires_at > ?",
                              (run_id, ts(self._now()))).fetchone()
        return _claim(row) if row else None

    def holders(self, run_ids: Iterable[str]) -> dict[str, TaskClaim]:
        wanted = set(run_ids)
        rows = self.db.execute("SELECT * FROM task_claims WHERE expires_at > ?",
                               (ts(self._now()),)).fetchall()
        return {r["run_id"]: _claim(r) for r in rows if r["run_id"] in wanted}


def _claim(row: Mapping[str, Any]) -> TaskClaim:
    return TaskClaim(row["run_id"], row["operator"], at(row["claimed_at"]), at(row["expires_at"]))
