"""The SQLite file under the run store and the ledger: opening, transactions, schema, migrations.

All SQL of the embedded store lives in three modules: this one (tables and migrations),
``store`` (runs, leases, events) and ``ledger`` (side effects). Another backend (PostgreSQL)
replaces these three and keeps the public API of ``RunStore`` and ``Ledger``.

Several processes open one file at once (a CLI run, a cron ``resume --due``), so every write is
one ``BEGIN IMMEDIATE`` transaction: it takes the write lock first, so read-then-write inside it
cannot race. Values are checked before they are written: JSON only, and no secret-looking key
holding a value (``runner.jsonable``).
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runner.errors import ErrorCode, InputError, RunnerError
from runner.jsonable import find_secret, to_json

SCHEMA_VERSION = 2

_RUNS = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    ticket TEXT NOT NULL,
    flow TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'denied', 'waiting',
                                           'needs_input', 'failed', 'abandoned')),
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
)"""

# One row per side effect on one order: (action, order_key) is what is acted on, whichever
# ticket or run asks; ``ticket`` and ``run_id`` say who made the attempt.
_LEDGER = """
CREATE TABLE ledger (
    action TEXT NOT NULL,
    order_key TEXT NOT NULL,
    ticket TEXT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('attempting', 'confirmed', 'abandoned')),
    evidence TEXT NOT NULL DEFAULT '{}',
    attempted_at TEXT NOT NULL,
    confirmed_at TEXT,
    UNIQUE (action, order_key)
)"""

_EVENTS = """
CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    step TEXT,
    kind TEXT NOT NULL,
    status TEXT,
    duration_ms INTEGER,
    data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, seq)
)"""

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS runs_due ON runs (status, next_check_at)",
    "CREATE INDEX IF NOT EXISTS runs_by_ticket ON runs (ticket)",
    "CREATE INDEX IF NOT EXISTS ledger_order ON ledger (order_key)",
    "CREATE INDEX IF NOT EXISTS ledger_run ON ledger (run_id)",
)

# Schema 1 -> 2: the ledger keyed by (action, order) instead of (ticket, action, order), runs
# may be ``abandoned``, and a run's history lives only in ``events`` (``context.log`` dropped).
# Several tickets' rows for one order merge into one: confirmed beats attempting beats
# abandoned, the earliest attempt first; the others only repeated what that row knows.
_FROM_1 = (
    _RUNS.replace("CREATE TABLE runs", "CREATE TABLE runs_v2"),
    "INSERT INTO runs_v2 SELECT run_id, ticket, flow, status, current_step, "
    "json_remove(context, '$.log'), inputs, outcome, message, next_action, error, "
    "next_check_at, deadline, created_at, updated_at, lease_owner, lease_expires_at FROM runs",
    "DROP TABLE runs",
    "ALTER TABLE runs_v2 RENAME TO runs",
    _LEDGER.replace("CREATE TABLE ledger", "CREATE TABLE ledger_v2"),
    "INSERT INTO ledger_v2 SELECT action, order_key, ticket, run_id, status, evidence, "
    "attempted_at, confirmed_at FROM ledger AS l WHERE l.rowid = ("
    " SELECT m.rowid FROM ledger AS m WHERE m.action = l.action AND m.order_key = l.order_key"
    " ORDER BY CASE m.status WHEN 'confirmed' THEN 0 WHEN 'attempting' THEN 1 ELSE 2 END,"
    " m.attempted_at, m.rowid LIMIT 1)",
    "DROP TABLE ledger",
    "ALTER TABLE ledger_v2 RENAME TO ledger",
)


class StoreError(RunnerError):
    """The store refused: lease lost, unknown run, a secret, a newer schema, a ledger conflict."""

    def __init__(self, message: str, code: ErrorCode, **context: Any) -> None:
        super().__init__(message, code, context)


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


def connect(path: Path, busy_timeout: timedelta) -> sqlite3.Connection:
    """Open (creating or migrating) the store file; autocommit, writes go in ``transaction``."""
    db = sqlite3.connect(path, timeout=busy_timeout.total_seconds(), isolation_level=None)
    db.row_factory = sqlite3.Row
    with _opening_lock(path):
        # Switching to WAL takes an exclusive lock that SQLite's busy handler does not wait
        # for; two processes opening a new store at once would see "database is locked".
        db.execute("PRAGMA journal_mode=WAL")
        _migrate(db, path)
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock up front, so read-then-write is atomic."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    with transaction(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{path} was written by a newer runner "
                             f"(schema {version} > {SCHEMA_VERSION})", ErrorCode.STORE_TOO_NEW)
        if version == SCHEMA_VERSION:
            return
        if version == 0:
            for table in (_RUNS, _EVENTS, _LEDGER):
                db.execute(table)
        if version == 1:
            for statement in _FROM_1:
                db.execute(statement)
        for index in _INDEXES:
            db.execute(index)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def ts(value: datetime | None) -> str | None:
    """A moment as stored: UTC ISO text with microseconds, which sorts as time does."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{value.isoformat()} has no time zone", code=ErrorCode.NAIVE_DATETIME)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def dumps(value: Any, where: str) -> str | None:
    """JSON text to store, refused if a secret-looking key holds a value (after conversion, so
    dataclass fields count too)."""
    if value is None:
        return None
    text = to_json(value)
    secret = find_secret(json.loads(text), where)
    if secret:
        raise StoreError(f"refusing to store {secret}: it looks like a secret",
                         ErrorCode.SECRET_IN_STORE)
    return text


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None
