"""The side-effect ledger: one row per (action, order), written before the click and after it.

Money and mail are per order: whatever ticket, run or process asks, an access request or a
refund happens at most once per order. So the row is keyed by what is acted on, ``(action,
order_key)``; ``ticket`` and ``run_id`` only say who made the attempt. The unique key turns
"two runs click at once" into one INSERT that wins and one that reads the winner's row.

Decisions (probe the console, wait for another run, ask a person) are made by
``runner.engine.side_effects``; this module only records.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from runner.errors import ErrorCode
from runner.store.db import Database, StoreError, at, dt, dumps, loads, transaction, ts


class LedgerStatus(enum.StrEnum):
    ATTEMPTING = "attempting"  # written before the click
    CONFIRMED = "confirmed"  # the console showed the effect
    ABANDONED = "abandoned"  # the console showed it did not happen; a new attempt may start


@dataclass(frozen=True)
class LedgerEntry:
    action: str
    order_key: str
    ticket: str  # whose attempt this is
    run_id: str
    status: LedgerStatus
    evidence: dict[str, Any]
    attempted_at: datetime
    confirmed_at: datetime | None


class Claim(NamedTuple):
    entry: LedgerEntry
    created: bool  # False: an attempt exists (this run's or another's); read it, do not click


_KEY = "action = ? AND order_key = ?"


class Ledger:
    """Side effects per order, on the store's connection (``RunStore.ledger``)."""

    def __init__(self, db: Database, now: Callable[[], str]) -> None:
        self.db = db
        self._now = now

    def begin(self, action: str, order_key: str, *, run_id: str, ticket: str) -> Claim:
        """Record the intent before the click; an existing row is returned, never duplicated.

        An ``abandoned`` row is re-armed for this run (created=True): the console showed the
        earlier attempt never happened, so a new one is safe.
        """
        with transaction(self.db) as db:
            # One statement decides, so two runs (or two machines) asking at once cannot both
            # win: it inserts the row, or re-arms an abandoned one, and returns it; any other
            # row stays as it is and nothing is returned. PostgreSQL locks the conflicting row
            # and judges the WHERE on its latest version; SQLite holds the file's write lock.
            row = db.execute(
                "INSERT INTO ledger (action, order_key, ticket, run_id, status, attempted_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (action, order_key) DO UPDATE SET "
                "ticket = excluded.ticket, run_id = excluded.run_id, status = excluded.status, "
                "evidence = '{}', attempted_at = excluded.attempted_at, confirmed_at = NULL "
                "WHERE ledger.status = ? RETURNING *",
                (action, order_key, ticket, run_id, LedgerStatus.ATTEMPTING.value, self._now(),
                 LedgerStatus.ABANDONED.value)).fetchone()
            if row is not None:
                return Claim(_entry(row), True)
            row = db.execute(f"SELECT * FROM ledger WHERE {_KEY}", (action, order_key)).fetchone()
        return Claim(_entry(row), False)

    def take_over(self, entry: LedgerEntry, *, run_id: str, ticket: str,
                  evidence: Mapping[str, Any] | None = None) -> LedgerEntry | None:
        """Make an unconfirmed attempt this run's, with a fresh time, if nobody changed it
        meanwhile.

        For an attempt whose run is gone (or this run's own, before a crash) and which the
        console or a person said never happened: of two runs told so at once, one wins (None
        for the other), so only one of them clicks. ``evidence`` says why it is made again.
        """
        with transaction(self.db) as db:
            changed = db.execute(
                f"UPDATE ledger SET ticket = ?, run_id = ?, attempted_at = ?, evidence = ? "
                f"WHERE {_KEY} AND run_id = ? AND status = ? AND attempted_at = ?",
                (ticket, run_id, self._now(), dumps(dict(evidence or {}), "evidence"),
                 entry.action, entry.order_key, entry.run_id, LedgerStatus.ATTEMPTING.value,
                 ts(entry.attempted_at))).rowcount
            row = db.execute(f"SELECT * FROM ledger WHERE {_KEY}",
                             (entry.action, entry.order_key)).fetchone()
        return _entry(row) if changed else None

    def confirm(self, action: str, order_key: str, evidence: Mapping[str, Any]) -> LedgerEntry:
        """Mark the effect done (whoever saw it); confirming twice keeps the first evidence."""
        with transaction(self.db) as db:
            db.execute(f"UPDATE ledger SET status = ?, evidence = ?, confirmed_at = ? WHERE {_KEY} "
                       "AND status != ?",
                       (LedgerStatus.CONFIRMED.value, dumps(dict(evidence), "evidence"),
                        self._now(), action, order_key, LedgerStatus.CONFIRMED.value))
            row = db.execute(f"SELECT * FROM ledger WHERE {_KEY}", (action, order_key)).fetchone()
        if row is None:
            raise StoreError(f"no ledger entry for {action} on {order_key}; call begin before "
                             "the click", ErrorCode.LEDGER_MISSING)
        return _entry(row)

    def abandon(self, action: str, order_key: str, *, run_id: str,
                evidence: Mapping[str, Any]) -> LedgerEntry:
        """This run's attempt did not happen (the console refused, or we stopped before the
        click): a later attempt may start afresh. Only the attempting run may say so."""
        with transaction(self.db) as db:
            changed = db.execute(
                f"UPDATE ledger SET status = ?, evidence = ? WHERE {_KEY} AND run_id = ? "
                "AND status = ?",
                (LedgerStatus.ABANDONED.value, dumps(dict(evidence), "evidence"), action,
                 order_key, run_id, LedgerStatus.ATTEMPTING.value)).rowcount
            row = db.execute(f"SELECT * FROM ledger WHERE {_KEY}", (action, order_key)).fetchone()
        if row is None:
            raise StoreError(f"no ledger entry for {action} on {order_key}; call begin before "
                             "the click", ErrorCode.LEDGER_MISSING)
        if not changed and row["status"] != LedgerStatus.ABANDONED:
            raise StoreError(f"{action} on {order_key} is {row['status']} by run "
                             f"{row['run_id']}; run {run_id} cannot abandon it",
                             ErrorCode.LEDGER_NOT_OURS if row["status"] == LedgerStatus.ATTEMPTING
                             else ErrorCode.LEDGER_CONFIRMED)
        return _entry(row)

    def get(self, action: str, order_key: str) -> LedgerEntry | None:
        row = self.db.execute(f"SELECT * FROM ledger WHERE {_KEY}",
                              (action, order_key)).fetchone()
        return _entry(row) if row else None

    def for_order(self, order_key: str) -> list[LedgerEntry]:
        """Every side effect on one order, oldest attempt first."""
        rows = self.db.execute("SELECT * FROM ledger WHERE order_key = ? "
                               "ORDER BY attempted_at, rowid", (order_key,)).fetchall()
        return [_entry(row) for row in rows]

    def for_run(self, run_id: str, status: LedgerStatus | None = None) -> list[LedgerEntry]:
        """The attempts one run made (optionally only those in ``status``)."""
        only, args = (" AND status = ?", (run_id, status.value)) if status else ("", (run_id,))
        rows = self.db.execute(f"SELECT * FROM ledger WHERE run_id = ?{only} "
                               "ORDER BY attempted_at, rowid", args).fetchall()
        return [_entry(row) for row in rows]

    def recent(self, limit: int = 1000) -> list[LedgerEntry]:
        """Every side effect, newest attempt first (the console's refunds page)."""
        rows = self.db.execute("SELECT * FROM ledger ORDER BY attempted_at DESC, rowid DESC "
                               "LIMIT ?", (limit,)).fetchall()
        return [_entry(row) for row in rows]


def _entry(row: Mapping[str, Any]) -> LedgerEntry:
    return LedgerEntry(row["action"], row["order_key"], row["ticket"], row["run_id"],
                       LedgerStatus(row["status"]), loads(row["evidence"]) or {},
                       at(row["attempted_at"]), dt(row["confirmed_at"]))
