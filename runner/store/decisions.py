"""Every human decision, by whom and through which door: the audit trail.

A captcha answer (never its value), a confirmation of a side effect, a retry, an abandon, a
claim on a person-task, an operator added or removed: each is one row, written in the same
moment the decision takes effect, so "who decided this?" always has an answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runner.store.db import Database, at, dumps, loads, transaction


@dataclass(frozen=True)
class Decision:
    seq: int
    ts: datetime
    actor: str  # the operator's name, or the OS user / --as name at the command line
    via: str  # the door: cli, http, mcp, console, queue
    action: str  # answer, confirm, retry, resume, abandon, claim, release, operator_add, ...
    run_id: str | None
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts.isoformat(), "actor": self.actor, "via": self.via,
                "action": self.action, "run_id": self.run_id, "detail": self.detail}


class Decisions:
    """The decisions table on the store's connection (``RunStore.decisions``)."""

    def __init__(self, db: Database, now: Callable[[], str]) -> None:
        self.db = db
        self._now = now

    def record(self, actor: str, via: str, action: str, run_id: str | None = None,
               detail: Mapping[str, Any] | None = None) -> None:
        with transaction(self.db) as db:
            db.execute("INSERT INTO decisions (ts, actor, via, action, run_id, detail) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (self._now(), actor, via, action, run_id,
                        dumps(dict(detail or {}), "decision")))

    def for_run(self, run_id: str) -> list[Decision]:
        rows = self.db.execute("SELECT * FROM decisions WHERE run_id = ? ORDER BY seq",
                               (run_id,)).fetchall()
        return [_decision(r) for r in rows]

    def latest(self, limit: int = 200) -> list[Decision]:
        rows = self.db.execute("SELECT * FROM decisions ORDER BY seq DESC LIMIT ?",
                               (limit,)).fetchall()
        return [_decision(r) for r in rows]


def _decision(row: Mapping[str, Any]) -> Decision:
    return Decision(row["seq"], at(row["ts"]), row["actor"], row["via"], row["action"],
                    row["run_id"], loads(row["detail"]) or {})
