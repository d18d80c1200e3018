"""The run store: runs, their events and the side-effect ledger, in one SQLite file.

A run can wait days for a customer, so its state lives here rather than in a process; it is
written after every step. Several processes (a CLI run, a cron ``resume --due``) may open the
file at once, so every write is one ``BEGIN IMMEDIATE`` transaction, a lease with an expiry
keeps two processes off the same run, and the ledger's unique key makes "refund twice" a
constraint violation rather than a hope. Secrets never come here: values under secret-looking
keys are refused, not scrubbed, so a leak is a bug that fails loudly.
"""

from __future__ import annotations

import enum
import fcntl
import json
import os
import re
import secrets
import socket
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from runner.engine import store_open
from runner.engine.clock import Clock, SystemClock
from runner.errors import ErrorCode, InputError, RunnerError

SCHEMA_VERSION = 1
_SECRET_KEY = re.compile(r"password|passwd|secret|credential|api_?key", re.IGNORECASE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    ticket TEXT NOT NULL,
    flow TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('running', 'succeeded', 'denied', 'waiting', 'needs_input', 'failed', 'abandoned')),
    current_step TEXT,
    context TEXT NOT NULL DEFAULT '{}',
    inputs TEXT NOT NULL DEFAULT '{}',
    outcome TEXT,
    message TEXT,
    next_action TEXT,
    error TEXT,
    next_check_at TEXT,
    deadline TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires_at TEXT,
    UNIQUE (ticket, flow)
);
CREATE INDEX IF NOT EXISTS runs_due ON runs (status, next_check_at);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    step TEXT,
    kind TEXT NOT NULL,
    status TEXT,
    duration_ms INTEGER,
    data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS ledger (
    ticket TEXT NOT NULL,
    action TEXT NOT NULL,
    order_key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('attempting', 'confirmed', 'abandoned')),
    evidence TEXT NOT NULL DEFAULT '{}',
    attempted_at TEXT NOT NULL,
    confirmed_at TEXT,
    UNIQUE (ticket, action, order_key)
);
CREATE INDEX IF NOT EXISTS ledger_order ON ledger (order_key);
"""


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DENIED = "denied"
    WAITING = "waiting"
    NEEDS_INPUT = "needs_input"
    FAILED = "failed"
    ABANDONED = "abandoned"  # a person gave it up (runs abandon): nothing more happens


class LedgerStatus(enum.StrEnum):
    ATTEMPTING = "attempting"  # written before the click
    CONFIRMED = "confirmed"  # the console showed the effect
    ABANDONED = "abandoned"  # the console showed it did not happen; a new attempt may start


class StoreError(RunnerError):
    """The store refused a write: lease lost, unknown run, a secret, or a newer schema."""

    def __init__(self, message: str, code: ErrorCode, **context: Any) -> None:
        super().__init__(message, code, context)


@dataclass
class Run:
    run_id: str
    ticket: str
    flow: str
    status: RunStatus
    created_at: datetime
    updated_at: datetime
    current_step: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    message: str | None = None
    next_action: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    next_check_at: datetime | None = None
    deadline: datetime | None = None
    lease_owner: str | None = None  # read-only here: change it with acquire/release_lease
    lease_expires_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    run_id: str
    seq: int
    ts: datetime
    step: str | None
    kind: str
    status: str | None
    duration_ms: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class LedgerEntry:
    ticket: str
    action: str
    order_key: str
    run_id: str
    status: LedgerStatus
    evidence: dict[str, Any]
    attempted_at: datetime
    confirmed_at: datetime | None


class Created(NamedTuple):
    run: Run
    created: bool  # False: the ticket already had a run for this flow, and this is it


class Claim(NamedTuple):
    entry: LedgerEntry
    created: bool  # False: an earlier attempt exists; probe the console before clicking


def new_run_id() -> str:
    return f"run-{secrets.token_hex(6)}"


def default_owner() -> str:
    """``host:pid:nonce``: the pid lets a later process on this host see that the owner died."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{value.isoformat()} has no time zone", code=ErrorCode.NAIVE_DATETIME)
    return value.astimezone(UTC).isoformat(timespec="microseconds")  # sorts as text


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot be stored as JSON")


def _refuse_secrets(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _SECRET_KEY.search(str(key)):
                raise StoreError(f"refusing to store {where}.{key}: it looks like a secret",
                                 ErrorCode.SECRET_IN_STORE)
            _refuse_secrets(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_secrets(item, f"{where}[{index}]")


def _json(value: Any, where: str) -> str | None:
    if value is None:
        return None
    text = json.dumps(value, default=_plain, sort_keys=True)
    _refuse_secrets(json.loads(text), where)  # after conversion, so dataclass fields count too
    return text


@contextmanager
def _opening_lock(path: Path) -> Iterator[None]:
    """Serialise opening (journal mode, schema) across processes; blocks, never polls."""
    if str(path) == ":memory:":
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _owner_dead(owner: str) -> bool:
    """True only when the owner is a process on this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class RunStore:
    """One SQLite file shared by every process that runs or inspects runs."""

    def __init__(self, path: str | Path, clock: Clock | None = None,
                 busy_timeout: timedelta = timedelta(seconds=10)) -> None:
        self.path = Path(path)
        self.clock = clock or SystemClock()
        try:
            self.db = sqlite3.connect(self.path, timeout=busy_timeout.total_seconds(),
                                      isolation_level=None)
        except sqlite3.Error as exc:
            raise store_open.open_failure(self.path, exc, busy_timeout) from exc
        try:
            self._open()
        except (sqlite3.Error, OSError) as exc:
            self.db.close()
            raise store_open.open_failure(self.path, exc, busy_timeout) from exc
        except RunnerError:
            self.db.close()
            raise

    def _open(self) -> None:
        """Journal mode and schema, refusing (never repairing) a file that is not a store."""
        self.db.row_factory = sqlite3.Row
        with _opening_lock(self.path):
            # Switching to WAL takes an exclusive lock that SQLite's busy handler does not wait
            # for; two processes opening a new store at once would see "database is locked".
            store_open.refuse_foreign(self.db, self.path)  # before WAL rewrites the header
            self.db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
            store_open.check_shape(self.db, self.path, _SCHEMA)
        if str(self.path) != ":memory:":
            store_open.make_private(self.path)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front, so read-then-write is atomic."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} was written by a newer runner "
                                 f"(schema {version} > {SCHEMA_VERSION})", ErrorCode.STORE_TOO_NEW)
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _now(self) -> str:
        return _ts(self.clock.now()) or ""

    # runs

    def create_run(self, ticket: str, flow: str, inputs: Mapping[str, Any] | None = None,
                   context: Mapping[str, Any] | None = None) -> Created:
        """Start a run, or hand back the one this ticket already has for this flow."""
        inputs_json = _json(dict(inputs or {}), "inputs")
        context_json = _json(dict(context or {}), "context")
        with self._tx() as db:
            row = db.execute("SELECT * FROM runs WHERE ticket = ? AND flow = ?",
                             (ticket, flow)).fetchone()
            if row is not None:
                return Created(_run(row), False)
            run_id, now = new_run_id(), self._now()
            db.execute("INSERT INTO runs (run_id, ticket, flow, status, context, inputs, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (run_id, ticket, flow, RunStatus.RUNNING.value, context_json,
                        inputs_json, now, now))
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return Created(_run(row), True)

    def get_run(self, run_id: str) -> Run | None:
        row = self.db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def find_runs_by_ticket(self, ticket: str) -> list[Run]:
        rows = self.db.execute("SELECT * FROM runs WHERE ticket = ? ORDER BY created_at, rowid",
                               (ticket,)).fetchall()
        return [_run(row) for row in rows]

    def list_runs(self, status: str | None = None, ticket: str | None = None,
                  flow: str | None = None, limit: int | None = None) -> list[Run]:
        """Runs matching every filter given, newest first."""
        where = [(col, value) for col, value in (("status", status), ("ticket", ticket),
                                                 ("flow", flow)) if value is not None]
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(f"{c} = ?" for c, _ in where)
                                      if where else "")
        sql += " ORDER BY created_at DESC, rowid DESC" + (" LIMIT ?" if limit else "")
        args = [v for _, v in where] + ([limit] if limit else [])
        return [_run(row) for row in self.db.execute(sql, args).fetchall()]

    def abandon_run(self, run_id: str, reason: str, force: bool = False) -> Run:
        """Give up on a run for good (never resumed; cron skips it). Refused for a finished run,
        and, unless ``force``, while a side effect of the run is still ``attempting`` in the
        ledger: a person must look at the console first. Abandoning twice changes nothing."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN, run=run_id)
            if row["status"] in (RunStatus.SUCCEEDED, RunStatus.DENIED):
                raise StoreError(f"run {run_id} already finished ({row['status']}); there is "
                                 "nothing to abandon", ErrorCode.RUN_FINISHED, run=run_id)
            open_effects = db.execute("SELECT action, order_key FROM ledger WHERE run_id = ? "
                                      "AND status = ?",
                                      (run_id, LedgerStatus.ATTEMPTING.value)).fetchall()
            if open_effects and not force:
                raise StoreError(f"run {run_id} has a side effect still attempting "
                                 f"({', '.join(r['action'] for r in open_effects)})",
                                 ErrorCode.SIDE_EFFECT_UNCONFIRMED, run=run_id)
            if row["status"] != RunStatus.ABANDONED:
                now = self._now()
                db.execute("UPDATE runs SET status = ?, outcome = 'abandoned', next_action = "
                           "NULL, next_check_at = NULL, updated_at = ? WHERE run_id = ?",
                           (RunStatus.ABANDONED.value, now, run_id))
                seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE "
                                 "run_id = ?", (run_id,)).fetchone()[0]
                db.execute("INSERT INTO events (run_id, seq, ts, step, kind, status, data) "
                           "VALUES (?, ?, ?, NULL, 'abandoned', ?, ?)",
                           (run_id, seq, now, RunStatus.ABANDONED.value,
                            _json({"reason": reason, "forced": force}, "event data")))
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _run(row)

    def save_run(self, run: Run, *, owner: str | None = None) -> Run:
        """Persist the whole run; with ``owner``, only while that owner still holds the lease."""
        values = (RunStatus(run.status).value, run.current_step, _json(run.context, "context"),
                  _json(run.inputs, "inputs"), run.outcome, run.message,
                  _json(run.next_action, "next_action"), _json(run.error, "error"),
                  _ts(run.next_check_at), _ts(run.deadline), self._now(), run.run_id)
        guard, args = ("", values) if owner is None else (" AND lease_owner = ?", (*values, owner))
        with self._tx() as db:
            changed = db.execute(
                "UPDATE runs SET status = ?, current_step = ?, context = ?, inputs = ?, "
                "outcome = ?, message = ?, next_action = ?, error = ?, next_check_at = ?, "
                f"deadline = ?, updated_at = ? WHERE run_id = ?{guard}", args).rowcount
            if not changed:
                exists = db.execute("SELECT 1 FROM runs WHERE run_id = ?",
                                    (run.run_id,)).fetchone()
                if not exists:
                    raise StoreError(f"no run {run.run_id}", ErrorCode.UNKNOWN_RUN, run=run.run_id)
                raise StoreError(f"run {run.run_id} is no longer leased to {owner}",
                                 ErrorCode.LEASE_LOST, run=run.run_id)
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run.run_id,)).fetchone()
        return _run(row)

    def due_runs(self, now: datetime | None = None) -> list[Run]:
        """Waiting runs whose next check has come, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM runs WHERE status = ? AND next_check_at <= ? ORDER BY next_check_at",
            (RunStatus.WAITING.value, _ts(now or self.clock.now()))).fetchall()
        return [_run(row) for row in rows]

    def orphaned_runs(self, now: datetime | None = None) -> list[Run]:
        """Runs left "running" by a process that died (lease expired, or owner gone)."""
        at = _ts(now or self.clock.now())
        rows = self.db.execute("SELECT * FROM runs WHERE status = ? ORDER BY updated_at",
                               (RunStatus.RUNNING.value,)).fetchall()
        return [_run(row) for row in rows
                if row["lease_owner"] is None or (row["lease_expires_at"] or "") <= (at or "")
                or _owner_dead(row["lease_owner"])]

    # leases

    def acquire_lease(self, run_id: str, owner: str, ttl: timedelta) -> bool:
        """Take or renew the run for ``owner``; False while another live owner holds it."""
        now = self.clock.now()
        with self._tx() as db:
            row = db.execute("SELECT lease_owner, lease_expires_at FROM runs WHERE run_id = ?",
                             (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN, run=run_id)
            holder, expires = row["lease_owner"], row["lease_expires_at"]
            free = (holder is None or holder == owner or expires is None
                    or expires <= _ts(now) or _owner_dead(holder))
            if free:
                db.execute("UPDATE runs SET lease_owner = ?, lease_expires_at = ? "
                           "WHERE run_id = ?", (owner, _ts(now + ttl), run_id))
        return free

    def release_lease(self, run_id: str, owner: str) -> bool:
        """Give the run back; False if ``owner`` did not hold it (it expired and was taken)."""
        with self._tx() as db:
            return db.execute("UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL "
                              "WHERE run_id = ? AND lease_owner = ?",
                              (run_id, owner)).rowcount == 1

    # events

    def append_event(self, run_id: str, step: str | None, kind: str, status: str | None = None,
                     *, duration_ms: int | None = None,
                     data: Mapping[str, Any] | None = None) -> Event:
        data_json = _json(dict(data or {}), "event data") or "{}"
        with self._tx() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?",
                             (run_id,)).fetchone()[0]
            db.execute("INSERT INTO events (run_id, seq, ts, step, kind, status, duration_ms, "
                       "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (run_id, seq, self._now(), step, kind, status, duration_ms, data_json))
            row = db.execute("SELECT * FROM events WHERE run_id = ? AND seq = ?",
                             (run_id, seq)).fetchone()
        return _event(row)

    def events(self, run_id: str) -> list[Event]:
        rows = self.db.execute("SELECT * FROM events WHERE run_id = ? ORDER BY seq",
                               (run_id,)).fetchall()
        return [_event(row) for row in rows]

    # ledger

    def ledger_begin(self, ticket: str, action: str, order_key: str, run_id: str) -> Claim:
        """Record the intent before the click; an existing row is returned, never duplicated.

        An ``abandoned`` row is re-armed for this run (created=True): the console showed the
        earlier attempt never happened, so a new one is safe.
        """
        key = (ticket, action, order_key)
        with self._tx() as db:
            row = db.execute("SELECT * FROM ledger WHERE ticket = ? AND action = ? "
                             "AND order_key = ?", key).fetchone()
            if row is not None and row["status"] != LedgerStatus.ABANDONED:
                return Claim(_entry(row), False)
            db.execute("INSERT INTO ledger (ticket, action, order_key, run_id, status, "
                       "attempted_at) VALUES (?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (ticket, action, order_key) DO UPDATE SET "
                       "run_id = excluded.run_id, status = excluded.status, "
                       "attempted_at = excluded.attempted_at, confirmed_at = NULL",
                       (*key, run_id, LedgerStatus.ATTEMPTING.value, self._now()))
            row = db.execute("SELECT * FROM ledger WHERE ticket = ? AND action = ? "
                             "AND order_key = ?", key).fetchone()
        return Claim(_entry(row), True)

    def _ledger_set(self, ticket: str, action: str, order_key: str, status: LedgerStatus,
                    evidence: Mapping[str, Any]) -> LedgerEntry:
        key = (ticket, action, order_key)
        confirmed_at = self._now() if status is LedgerStatus.CONFIRMED else None
        with self._tx() as db:
            changed = db.execute(
                "UPDATE ledger SET status = ?, evidence = ?, confirmed_at = ? WHERE ticket = ? "
                "AND action = ? AND order_key = ? AND status != 'confirmed'",
                (status.value, _json(dict(evidence), "evidence"), confirmed_at, *key)).rowcount
            row = db.execute("SELECT * FROM ledger WHERE ticket = ? AND action = ? "
                             "AND order_key = ?", key).fetchone()
        if row is None:
            raise StoreError(f"no ledger entry for {action} on {order_key} (ticket {ticket}); "
                             "call ledger_begin before the click", ErrorCode.LEDGER_MISSING)
        if not changed and status is not LedgerStatus.CONFIRMED:
            raise StoreError(f"{action} on {order_key} is already confirmed; it cannot be "
                             "abandoned", ErrorCode.LEDGER_CONFIRMED)
        return _entry(row)

    def ledger_confirm(self, ticket: str, action: str, order_key: str,
                       evidence: Mapping[str, Any]) -> LedgerEntry:
        """Mark the effect done; confirming twice keeps the first evidence."""
        return self._ledger_set(ticket, action, order_key, LedgerStatus.CONFIRMED, evidence)

    def ledger_abandon(self, ticket: str, action: str, order_key: str,
                       evidence: Mapping[str, Any]) -> LedgerEntry:
        """The console shows the attempt did not happen (e.g. it failed before the click)."""
        return self._ledger_set(ticket, action, order_key, LedgerStatus.ABANDONED, evidence)

    def ledger_get(self, ticket: str, action: str, order_key: str) -> LedgerEntry | None:
        row = self.db.execute("SELECT * FROM ledger WHERE ticket = ? AND action = ? "
                              "AND order_key = ?", (ticket, action, order_key)).fetchone()
        return _entry(row) if row else None

    def ledger_for_run(self, run_id: str) -> list[LedgerEntry]:
        """The side effects this run attempted, in order."""
        rows = self.db.execute("SELECT * FROM ledger WHERE run_id = ? ORDER BY attempted_at",
                               (run_id,)).fetchall()
        return [_entry(row) for row in rows]

    def ledger_for_order(self, order_key: str) -> list[LedgerEntry]:
        """Every attempt on one order, across tickets: a second ticket sees the first refund."""
        rows = self.db.execute("SELECT * FROM ledger WHERE order_key = ? ORDER BY attempted_at",
                               (order_key,)).fetchall()
        return [_entry(row) for row in rows]


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def _run(row: sqlite3.Row) -> Run:
    return Run(
        run_id=row["run_id"], ticket=row["ticket"], flow=row["flow"],
        status=RunStatus(row["status"]), created_at=_at(row["created_at"]),
        updated_at=_at(row["updated_at"]),
        current_step=row["current_step"], context=_loads(row["context"]) or {},
        inputs=_loads(row["inputs"]) or {}, outcome=row["outcome"], message=row["message"],
        next_action=_loads(row["next_action"]), error=_loads(row["error"]),
        next_check_at=_dt(row["next_check_at"]), deadline=_dt(row["deadline"]),
        lease_owner=row["lease_owner"], lease_expires_at=_dt(row["lease_expires_at"]))


def _event(row: sqlite3.Row) -> Event:
    return Event(row["run_id"], row["seq"], _at(row["ts"]), row["step"],
                 row["kind"], row["status"], row["duration_ms"], _loads(row["data"]) or {})


def _entry(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(row["ticket"], row["action"], row["order_key"], row["run_id"],
                       LedgerStatus(row["status"]), _loads(row["evidence"]) or {},
                       _at(row["attempted_at"]), _dt(row["confirmed_at"]))
