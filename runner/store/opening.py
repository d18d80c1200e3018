"""Opening the runs database safely: a store that cannot be used is reported, never repaired.

The runs database is the only record of which refunds were attempted, so a file that is not a
runs database (random bytes, truncated, another program's tables) is refused with what to do,
and never overwritten or "fixed" by creating tables in it. A database another process holds
locked past the busy timeout is a retry-later condition, not a crash.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from runner.errors import ErrorCode, RunnerError

FILE_MODE = 0o600


class StoreUnusable(RunnerError):
    """The runs database cannot be opened as it is: corrupt, foreign, locked or unreachable."""

    def __init__(self, message: str, code: ErrorCode, **context: Any) -> None:
        super().__init__(message, code, context)


def open_failure(path: Path, exc: sqlite3.Error | OSError, busy: timedelta) -> StoreUnusable:
    """What an error while opening ``path`` means for the caller, and what to do about it."""
    text = str(exc).lower()
    if isinstance(exc, OSError) or "unable to open" in text:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if path.is_dir():
            reason = "it is a folder"
        return StoreUnusable(
            f"cannot open the runs database {path}: {reason}; point CERTRUNNER_HOME (or "
            "CERTRUNNER_STORE) at a file in a folder you can write", ErrorCode.STORE_UNREACHABLE)
    if "locked" in text or "busy" in text:
        return StoreUnusable(
            f"the runs database {path} stayed locked by another process for more than "
            f"{busy.total_seconds():g} s; retry later (`fuser {path}` shows who holds it)",
            ErrorCode.STORE_LOCKED)
    return corrupt(path, str(exc))


def corrupt(path: Path | None, why: str) -> StoreUnusable:
    """``path`` None when the database's path is not known where the damage showed."""
    where = f" {path}" if path else ""
    return StoreUnusable(
        f"the runs database{where} is unusable ({why}); it was left untouched: move it aside, "
        "restore it from a backup, or point CERTRUNNER_HOME at another folder, then check the "
        "consoles for refunds in flight", ErrorCode.STORE_CORRUPT)


def _columns(db: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: {row[1] for row in db.execute(f'PRAGMA table_info("{t}")')} for t in tables}


def expected_columns(schema_sql: str) -> dict[str, set[str]]:
    """Each table's columns as the schema declares them (built in memory, so never stale)."""
    scratch = sqlite3.connect(":memory:")
    try:
        scratch.executescript(schema_sql)
        return _columns(scratch)
    finally:
        scratch.close()


def refuse_foreign(db: sqlite3.Connection, path: Path) -> None:
    """Before anything is written: a database with tables but no schema version is not ours.

    The first migration creates the tables and sets the version in one transaction, so a runs
    database always has both; tables without a version are another program's, or a store
    from before versioning that a person should look at. Either way: read-only, refuse.
    """
    if db.execute("PRAGMA user_version").fetchone()[0] != 0:
        return
    found = sorted(_columns(db))
    if found:
        raise corrupt(path, f"it holds tables ({', '.join(found)}) but no schema version, so it "
                            "is not a runs database")


def check_shape(db: sqlite3.Connection, path: Path, schema_sql: str) -> None:
    """After migration: every table has every column this runner reads."""
    found = _columns(db)
    for table, columns in expected_columns(schema_sql).items():
        missing = columns - found.get(table, set())
        if missing:
            raise corrupt(path, f"table {table} lacks {', '.join(sorted(missing))}")


def make_private(path: Path) -> None:
    """The database and its lock file are for their owner only (they hold admin emails)."""
    for name in (path, Path(f"{path}.lock")):
        if name.is_file():
            os.chmod(name, FILE_MODE)
