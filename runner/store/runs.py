"""The run store: runs, their leases and their events, in one database shared by processes.

A run can wait days for a customer, so its state lives here rather than in a process. Each
step costs one write transaction (``record_step``: the run row, the step's event and the lease
renewal together); the run's history is its events, nothing else. A lease with an expiry keeps
two processes off the same run. The side-effect ledger shares the database (``RunStore.ledger``,
``runner.store.ledger``). Secrets never come here: values under secret-looking keys are
refused, not scrubbed, so a leak is a bug that fails loudly.

The public API, which any other backend keeps: ``create_run``, ``get_run``,
``find_runs_by_ticket``, ``list_runs``, ``save_run``, ``record_step``, ``due_runs``,
``orphaned_runs``, ``acquire_lease``, ``renew_lease``, ``release_lease``, ``lease_alive``,
``ping``, ``append_event``, ``events``, ``abandon_run``, ``ledger`` and ``snapshots``
(``runner.store.snapshots``). What they hand back (``Run``, ``Event``, ``Created``) is in
``runner.store.run_records``, and importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from runner.clock import Clock, SystemClock
from runner.errors import ErrorCode
from runner.store.db import (
    SCHEMA_VERSION,
    Database,
    StoreError,
    StoreUnavailable,
    connect,
    dumps,
    loads,
    transaction,
    ts,
)
from runner.store.decisions import Decisions
from runner.store.dialect import is_url
from runner.store.files import RunFiles
from runner.store.ledger import Claim, Ledger, LedgerEntry, LedgerStatus
from runner.store.operators import Operators
from runner.store.owners import default_owner, held, new_run_id
from runner.store.run_records import Created, Event, Run, RunStatus, event_of, run_of
from runner.store.snapshots import PageSnapshots
from runner.store.task_claims import TaskClaims

__all__ = ["SCHEMA_VERSION", "Claim", "Created", "Event", "LedgerEntry", "LedgerStatus", "Run",
           "RunStatus", "RunStore", "StoreError", "StoreUnavailable", "default_owner",
           "new_run_id"]


_SAVE = ("UPDATE runs SET status = ?, current_step = ?, context = ?, inputs = ?, outcome = ?, "
         "message = ?, next_action = ?, error = ?, next_check_at = ?, deadline = ?, "
         "updated_at = ?")
_ADD_EVENT = ("INSERT INTO events (run_id, seq, ts, step, kind, status, duration_ms, data) "
              "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?), "
              "?, ?, ?, ?, ?, ?) RETURNING seq")


class RunStore:
    """One database shared by every process that runs or inspects runs: a SQLite file (a
    path) or PostgreSQL (a ``postgresql://`` URL), with the same tables and behaviour."""

    def __init__(self, path: str | Path, clock: Clock | None = None,
                 busy_timeout: timedelta = timedelta(seconds=10)) -> None:
        self.path = path if is_url(path) else Path(path)
        self.clock = clock or SystemClock()
        self.db = connect(self.path, busy_timeout)
        self.ledger = Ledger(self.db, self._now)
        self.decisions = Decisions(self.db, self._now)
        self.files = RunFiles(self.db, self._now)
        self.operators = Operators(self.db, self._now)
        self.task_claims = TaskClaims(self.db, self.clock.now)
        self.snapshots = PageSnapshots(self.db, self._now)

    @property
    def where(self) -> str:
        """The store as it may be shown: a path, or a URL without its password."""
        return self.db.where

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _now(self) -> str:
        return ts(self.clock.now()) or ""

    # runs

    def create_run(self, ticket: str, flow: str, inputs: Mapping[str, Any] | None = None,
                   context: Mapping[str, Any] | None = None, *,
                   queued: bool = False) -> Created:
        """Start a run, or hand back the one this ticket already has for this flow; a
        ``queued`` run waits for a worker (status queued, since queued_at)."""
        inputs_json = dumps(dict(inputs or {}), "inputs")
        context_json = dumps(dict(context or {}), "context")
        run_id, now = new_run_id(), self._now()
        with transaction(self.db) as db:
            # One statement decides: of two triggers at once, one inserts, the other (waiting
            # on the first's row in PostgreSQL, on the file lock in SQLite) inserts nothing.
            status = RunStatus.QUEUED if queued else RunStatus.RUNNING
            row = db.execute("INSERT INTO runs (run_id, ticket, flow, status, context, inputs, "
                             "created_at, updated_at, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                             "?) ON CONFLICT (ticket, flow) DO NOTHING RETURNING *",
                             (run_id, ticket, flow, status.value, context_json, inputs_json, now,
                              now, now if queued else None)).fetchone()
            if row is not None:
                return Created(run_of(row), True)
        row = self.db.execute("SELECT * FROM runs WHERE ticket = ? AND flow = ?",
                              (ticket, flow)).fetchone()
        return Created(run_of(row), False)

    def get_run(self, run_id: str) -> Run | None:
        row = self.db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return run_of(row) if row else None

    def find_runs_by_ticket(self, ticket: str) -> list[Run]:
        return self.list_runs(ticket=ticket, newest_first=False)

    def list_runs(self, status: str | None = None, ticket: str | None = None,
                  flow: str | None = None, limit: int | None = None, *,
                  newest_first: bool = True) -> list[Run]:
        """Runs matching every filter given, newest first (by creation) unless told otherwise;
        at most ``limit`` of them (None: all)."""
        order = "DESC" if newest_first else "ASC"
        given = {"status": status, "ticket": ticket, "flow": flow}
        where = [f"{column} = ?" for column, value in given.items() if value is not None]
        rows = self.db.execute(
            "SELECT * FROM runs" + (f" WHERE {' AND '.join(where)}" if where else "")
            + f" ORDER BY created_at {order}, rowid {order}"
            + ("" if limit is None else " LIMIT ?"),
            (*(v for v in given.values() if v is not None),
             *(() if limit is None else (max(limit, 0),)))).fetchall()
        return [run_of(row) for row in rows]

    def _values(self, run: Run, now: str) -> tuple[Any, ...]:
        return (RunStatus(run.status).value, run.current_step, dumps(run.context, "context"),
                dumps(run.inputs, "inputs"), run.outcome, run.message,
                dumps(run.next_action, "next_action"), dumps(run.error, "error"),
                ts(run.next_check_at), ts(run.deadline), now)

    def save_run(self, run: Run, *, owner: str | None = None) -> Run:
        """Persist the whole run; with ``owner``, only while that owner still holds the lease."""
        values = self._values(run, self._now())
        guard, args = ("", (*values, run.run_id)) if owner is None else (
            " AND lease_owner = ?", (*values, run.run_id, owner))
        with transaction(self.db) as db:
            changed = db.execute(f"{_SAVE} WHERE run_id = ?{guard}", args).rowcount
            if not changed:
                self._refuse_lost(db, run.run_id, owner)
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run.run_id,)).fetchone()
        return run_of(row)

    def record_step(self, run: Run, step: str, kind: str, status: str, *, owner: str,
                    lease: timedelta, duration_ms: int | None = None,
                    data: Mapping[str, Any] | None = None) -> Event:
        """One step's bookkeeping in one write transaction: save the run, append the step's
        event and renew ``owner``'s lease for ``lease`` more; refused once the lease is lost."""
        moment = self.clock.now()
        now = ts(moment) or ""
        values = self._values(run, now)
        data_json = dumps(dict(data or {}), "event data") or "{}"
        expires = moment + lease
        with transaction(self.db) as db:
            changed = db.execute(f"{_SAVE}, lease_expires_at = ? WHERE run_id = ? AND "
                                 "lease_owner = ?",
                                 (*values, ts(expires), run.run_id, owner)).rowcount
            if not changed:
                self._refuse_lost(db, run.run_id, owner)
            seq = db.execute(_ADD_EVENT, (run.run_id, run.run_id, now, step, kind, status,
                                          duration_ms, data_json)).fetchone()["seq"]
        run.updated_at, run.lease_owner, run.lease_expires_at = moment, owner, expires
        return Event(run.run_id, seq, moment, step, kind, status, duration_ms,
                     loads(data_json) or {})

    @staticmethod
    def _refuse_lost(db: Database, run_id: str, owner: str | None) -> None:
        if not db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
            raise StoreError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN, run=run_id)
        raise StoreError(f"run {run_id} is no longer leased to {owner}", ErrorCode.LEASE_LOST,
                         run=run_id)

    def due_runs(self, now: datetime | None = None) -> list[Run]:
        """Runs whose next check has come, oldest first: waiting ones, and failed ones whose
        retry time came (only a console failure gets one: ``Executor._schedule_retry``)."""
        rows = self.db.execute(
            "SELECT * FROM runs WHERE status IN (?, ?) AND next_check_at <= ? "
            "ORDER BY next_check_at",
            (RunStatus.WAITING.value, RunStatus.FAILED.value,
             ts(now or self.clock.now()))).fetchall()
        return [run_of(row) for row in rows]

    def orphaned_runs(self, now: datetime | None = None) -> list[Run]:
        """Runs left "running" by a process that died (lease expired, or owner gone), and runs
        queued for workers whose queue claim expired (the task was lost)."""
        at_ = ts(now or self.clock.now()) or ""
        rows = self.db.execute("SELECT * FROM runs WHERE status IN (?, ?) ORDER BY updated_at",
                               (RunStatus.RUNNING.value, RunStatus.QUEUED.value)).fetchall()
        return [run_of(row) for row in rows if not held(row, at_)]

    def abandon_run(self, run_id: str, reason: str, force: bool = False) -> Run:
        """Give up on a run for good: it is never resumed, cron skips it, its ticket keeps it.

        Refused while the ledger shows a side effect this run started and nobody confirmed (it
        may have happened: look at the console first), and while a live process holds the
        run; ``force`` overrides both. A finished run cannot be abandoned; abandoning twice is
        a no-op. The reason is kept in an ``abandoned`` event (the run's message stays the one its
        customer last got).
        """
        with transaction(self.db) as db:
            row = db.execute(f"SELECT * FROM runs WHERE run_id = ?{db.dialect.lock_row}",
                             (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN, run=run_id)
            self._may_abandon(db, row, force)
            if row["status"] != RunStatus.ABANDONED:
                now = self._now()
                db.execute("UPDATE runs SET status = ?, outcome = 'abandoned', "
                           "next_action = NULL, next_check_at = NULL, updated_at = ?, "
                           "lease_owner = NULL, lease_expires_at = NULL WHERE run_id = ?",
                           (RunStatus.ABANDONED.value, now, run_id))
                db.execute(_ADD_EVENT, (run_id, run_id, now, None, "abandoned",
                                        RunStatus.ABANDONED.value, None,
                                        dumps({"reason": reason, "forced": force}, "event data")))
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return run_of(row)

    def _may_abandon(self, db: Database, row: Mapping[str, Any], force: bool) -> None:
        run_id = row["run_id"]
        if row["status"] in (RunStatus.SUCCEEDED, RunStatus.DENIED):
            raise StoreError(f"run {run_id} already finished ({row['status']}); there is "
                             "nothing to abandon", ErrorCode.RUN_FINISHED, run=run_id)
        if force:
            return
        if held(row, self._now()):
            raise StoreError(f"run {run_id} is being worked on by {row['lease_owner']}; wait "
                             "for it, or force", ErrorCode.RUN_IN_PROGRESS, run=run_id)
        open_effect = db.execute("SELECT action, order_key FROM ledger WHERE run_id = ? AND "
                                 "status = ?", (run_id, LedgerStatus.ATTEMPTING.value)).fetchone()
        if open_effect:
            raise StoreError(
                f"run {run_id} started {open_effect['action']} on {open_effect['order_key']} "
                "and nobody confirmed whether it happened: resume the run (it reads the "
                "console), or check the console yourself and force",
                ErrorCode.SIDE_EFFECT_UNCONFIRMED, run=run_id, action=open_effect["action"],
                order=open_effect["order_key"])

    # leases

    def acquire_lease(self, run_id: str, owner: str, ttl: timedelta) -> bool:
        """Take or renew the run for ``owner``; False while another live owner holds it."""
        now = self.clock.now()
        with transaction(self.db) as db:
            row = db.execute("SELECT lease_owner, lease_expires_at FROM runs WHERE run_id = ?"
                             + db.dialect.lock_row, (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN, run=run_id)
            free = row["lease_owner"] == owner or not held(row, ts(now) or "")
            if free:
                db.execute("UPDATE runs SET lease_owner = ?, lease_expires_at = ? "
                           "WHERE run_id = ?", (owner, ts(now + ttl), run_id))
        return free

    def renew_lease(self, run_id: str, owner: str, ttl: timedelta) -> bool:
        """Extend ``owner``'s lease to ``ttl`` from now (a heartbeat); False once it is not
        theirs (it expired and another took the run, or it was let go)."""
        expires = ts(self.clock.now() + ttl)
        with transaction(self.db) as db:
            return db.execute("UPDATE runs SET lease_expires_at = ? WHERE run_id = ? AND "
                              "lease_owner = ?", (expires, run_id, owner)).rowcount == 1

    def release_lease(self, run_id: str, owner: str) -> bool:
        """Give the run back; False if ``owner`` did not hold it (it expired and was taken)."""
        with transaction(self.db) as db:
            return db.execute("UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL "
                              "WHERE run_id = ? AND lease_owner = ?",
                              (run_id, owner)).rowcount == 1

    def lease_alive(self, run_id: str) -> bool:
        """True while a live process holds the run (so it may be mid-click right now)."""
        row = self.db.execute("SELECT lease_owner, lease_expires_at FROM runs WHERE run_id = ?",
                              (run_id,)).fetchone()
        return row is not None and held(row, self._now())

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the store answers now (reconnecting if it must)."""
        self.db.execute("SELECT 1").fetchone()

    # events

    def append_event(self, run_id: str, step: str | None, kind: str, status: str | None = None,
                     *, duration_ms: int | None = None,
                     data: Mapping[str, Any] | None = None) -> Event:
        """An event outside a step's record (``record_step`` appends the step's own)."""
        data_json = dumps(dict(data or {}), "event data") or "{}"
        moment = self.clock.now()
        with transaction(self.db) as db:
            # The run's row lock orders this event against the lease holder's (PostgreSQL).
            db.execute(f"SELECT 1 FROM runs WHERE run_id = ?{db.dialect.lock_row}", (run_id,))
            seq = db.execute(_ADD_EVENT, (run_id, run_id, ts(moment), step, kind, status,
                                          duration_ms, data_json)).fetchone()["seq"]
        return Event(run_id, seq, moment, step, kind, status, duration_ms, loads(data_json) or {})

    def events(self, run_id: str) -> list[Event]:
        rows = self.db.execute("SELECT * FROM events WHERE run_id = ? ORDER BY seq",
                               (run_id,)).fetchall()
        return [event_of(row) for row in rows]
