"""The database under the run store and the ledger: opening, transactions, schema, migrations.

The store is a SQLite file (the embedded default) or a PostgreSQL database (``postgresql://``
URL, past one machine); ``Database`` hides which. All SQL of the store lives in three modules:
this one (opening and migrating), ``store`` (runs, leases, events) and ``ledger`` (side
effects); what differs between the two databases is in ``runner.store.dialect``, the tables
in the versioned files of ``runner/store/migrations/``.

Several processes use one store at once (CLI runs, cron, service and Celery workers), so every
write is one transaction in which a read before a write cannot race (SQLite: ``BEGIN
IMMEDIATE``; PostgreSQL: rows read ``FOR UPDATE``, or one conditional statement). Values are
checked before they are written: JSON only, and no secret-looking key holding a value
(``runner.jsonable``).
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runner.errors import ErrorCode, InputError, RunnerError
from runner.jsonable import find_secret, to_json
from runner.store import availability
from runner.store import opening as store_open
from runner.store.dialect import (
    POSTGRESQL,
    SQLITE,
    Dialect,
    is_url,
    migration_files,
    redacted,
    statements,
)

SCHEMA_VERSION = 3


class StoreError(RunnerError):
    """The store refused: lease lost, unknown run, a secret, a newer schema, a ledger conflict."""

    def __init__(self, message: str, code: ErrorCode, **context: Any) -> None:
        super().__init__(message, code, context)


class StoreUnavailable(StoreError):
    """The store did not answer (its server or the network to it is down): try again later."""


class Database:
    """One connection to the store's database, SQLite or PostgreSQL, speaking the store's SQL.

    Statements are written once, in SQLite's spelling; ``execute`` hands each to the database
    in its own (``runner.store.dialect``). Rows answer by column name in both. A connection
    belongs to one thread at a time (a worker thread opens its own).

    A connection the server dropped is opened again before the next transaction or statement
    outside one (``reopen``), never in the middle of a transaction; an error that means the
    store did not answer is raised as ``StoreUnavailable`` (``runner.store.availability``).
    """

    def __init__(self, raw: Any, dialect: Dialect, where: str,
                 reopen: Callable[[], Any] | None = None) -> None:
        self.raw = raw
        self.dialect = dialect
        self.where = where  # for messages: a path, or a URL without its password
        self._reopen = reopen
        self._in_transaction = False

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """A cursor (``fetchone``, ``fetchall``, ``rowcount``) over the statement's rows."""
        if not self._in_transaction:
            self._ready()
        return self._run(self.dialect.sql(statement), tuple(params))

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """A write transaction in which a read before a write cannot race another process:
        SQLite locks the file up front; PostgreSQL reads the rows it changes ``FOR UPDATE``."""
        self._ready()
        self._run(self.dialect.begin)
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self._in_transaction = False
            self._rollback()
            raise
        self._in_transaction = False
        self._run("COMMIT")

    def close(self) -> None:
        self.raw.close()

    def _run(self, statement: str, params: tuple[Any, ...] = ()) -> Any:
        try:
            return self.raw.execute(statement, params)
        except Exception as exc:
            if not availability.transient(exc):
                raise
            raise self._unavailable("did not answer", exc) from exc

    def _ready(self) -> None:
        """Open the connection again if the server or the network dropped it."""
        if self._reopen is None or not availability.closed(self.raw):
            return
        try:
            self.raw = self._reopen()
        except Exception as exc:
            if not availability.transient(exc):
                raise
            raise self._unavailable("cannot be reached", exc) from exc

    def _unavailable(self, what: str, exc: Exception) -> StoreUnavailable:
        """A transient failure of the store's server or network, said once for every call."""
        return StoreUnavailable(f"the run store at {self.where} {what}: "
                                f"{availability.first_line(exc)}",
                                ErrorCode.STORE_UNAVAILABLE, store=self.where)

    def _rollback(self) -> None:
        """Undo the open transaction; on a dropped connection the server has undone it, and the
        error that interrupted the transaction is the one worth raising."""
        if availability.closed(self.raw):
            return
        try:
            self.raw.execute("ROLLBACK")
        except Exception as exc:
            if not availability.transient(exc):
                raise


def transaction(db: Database) -> AbstractContextManager[Database]:
    return db.transaction()


def connect(target: str | Path, busy_timeout: timedelta) -> Database:
    """Open (creating or migrating) the store: a file path, or a ``postgresql://`` URL."""
    if is_url(target):
        return _connect_postgresql(str(target), busy_timeout)
    return _connect_sqlite(Path(target), busy_timeout)


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


def _connect_sqlite(path: Path, busy_timeout: timedelta) -> Database:
    """A file that cannot be used as it is (corrupt, foreign, locked, unreachable) is refused
    with what to do (``store_open``), never repaired."""
    try:
        raw = sqlite3.connect(path, timeout=busy_timeout.total_seconds(), isolation_level=None)
    except sqlite3.Error as exc:
        raise store_open.open_failure(path, exc, busy_timeout) from exc
    db = Database(raw, SQLITE, str(path))
    try:
        _open_sqlite(db, path)
    except (sqlite3.Error, OSError) as exc:
        raw.close()
        raise store_open.open_failure(path, exc, busy_timeout) from exc
    except StoreUnavailable as exc:  # locked while opening: said as opening says it
        raw.close()
        cause = exc.__cause__ if isinstance(exc.__cause__, sqlite3.Error) else None
        if cause is None:
            raise
        raise store_open.open_failure(path, cause, busy_timeout) from cause
    except RunnerError:
        raw.close()
        raise
    return db


def _open_sqlite(db: Database, path: Path) -> None:
    raw = db.raw
    raw.row_factory = sqlite3.Row
    with _opening_lock(path):
        store_open.refuse_foreign(raw, path)  # before WAL rewrites the header
        # Switching to WAL takes an exclusive lock that SQLite's busy handler does not wait
        # for; two processes opening a new store at once would see "database is locked".
        raw.execute("PRAGMA journal_mode=WAL")
        with db.transaction():
            _migrate(db, raw.execute("PRAGMA user_version").fetchone()[0])
            raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        store_open.check_shape(raw, path, migration_files(SQLITE)["schema"].read_text())
    if str(path) != ":memory:":
        store_open.make_private(path)
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA foreign_keys=ON")


# Two processes opening a new PostgreSQL store at once: the first migrates, the second waits
# on this transaction-scoped lock and then finds the version current.
_PG_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('certrunner.schema'))"
_PG_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS certrunner_schema (version INTEGER NOT NULL)"


def _connect_postgresql(url: str, busy_timeout: timedelta) -> Database:
    where = redacted(url)
    try:
        raw = _open_postgresql(url, busy_timeout)
    except Exception as exc:
        if not availability.transient(exc):
            raise
        raise StoreError(f"cannot open the run store at {where}: {availability.first_line(exc)}",
                         ErrorCode.STORE_UNREACHABLE, store=where) from None
    db = Database(raw, POSTGRESQL, where, reopen=lambda: _open_postgresql(url, busy_timeout))
    with db.transaction():
        raw.execute(_PG_MIGRATION_LOCK)
        raw.execute(_PG_VERSION_TABLE)
        row = raw.execute("SELECT COALESCE(MAX(version), 0) AS version "
                          "FROM certrunner_schema").fetchone()
        if _migrate(db, row["version"] if row else 0):
            raw.execute("DELETE FROM certrunner_schema")
            raw.execute("INSERT INTO certrunner_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
    return db


def _open_postgresql(url: str, busy_timeout: timedelta) -> Any:
    """A connection with TCP keepalives, so a link that goes silent (no reset, no answer) is
    found dead in seconds rather than after the kernel's two hours."""
    import psycopg
    from psycopg.rows import dict_row

    return psycopg.connect(url, autocommit=True, row_factory=dict_row,
                           connect_timeout=max(1, int(busy_timeout.total_seconds())),
                           keepalives=1, keepalives_idle=10, keepalives_interval=5,
                           keepalives_count=3, tcp_user_timeout=30_000)


def _migrate(db: Database, version: int) -> bool:
    """Bring the schema from ``version`` to the current one, inside the caller's transaction:
    a new database gets ``schema.sql``, an older one each ``from_N.sql`` in turn. True if
    anything changed."""
    if version > SCHEMA_VERSION:
        raise StoreError(f"{db.where} was written by a newer runner "
                         f"(schema {version} > {SCHEMA_VERSION})", ErrorCode.STORE_TOO_NEW)
    if version == SCHEMA_VERSION:
        return False
    files = migration_files(db.dialect)
    steps = ["schema"] if version == 0 else [f"from_{v}" for v in range(version, SCHEMA_VERSION)]
    for step in steps:
        if step not in files:
            raise StoreError(f"{db.where} is at schema {version}, and this runner has no "
                             f"{db.dialect.name} migration {step}.sql", ErrorCode.STORE_TOO_OLD)
        for statement in statements(files[step]):
            db.raw.execute(statement)
    return True

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
