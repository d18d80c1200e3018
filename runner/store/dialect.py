"""What differs between the two databases a run store can live in: the one place that knows.

The embedded default is a SQLite file; past one machine the store is a PostgreSQL database
(``CERTRUNNER_STORE=postgresql://...``). The store's SQL is written once, in SQLite's spelling
(``?`` parameters), and this module turns it into each database's: PostgreSQL's ``%s``
parameters, its row locks (``FOR UPDATE``; SQLite locks the whole file for a write transaction,
so it needs none), the way each starts a write transaction, remembers its schema version and
serialises two processes migrating at once. Schemas and migrations are versioned SQL files in
``runner/store/migrations/<dialect>/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Dialect:
    name: str
    begin: str  # opens a write transaction that may read then write safely
    lock_row: str  # appended to a SELECT whose rows the transaction will change
    claim_rows: str  # appended to a SELECT that claims rows others may be claiming too

    def sql(self, statement: str) -> str:
        """The store's statement in this database's parameter style."""
        if self.name == "sqlite":
            return statement
        if "%" in statement:
            raise ValueError(f"'%' in SQL would be read as a parameter: {statement}")
        return statement.replace("?", "%s")

    @property
    def migrations(self) -> Path:
        return MIGRATIONS / self.name


# BEGIN IMMEDIATE takes SQLite's one write lock up front, so a read before a write in the same
# transaction cannot race another process: no row locks needed, and none exist.
SQLITE = Dialect("sqlite", begin="BEGIN IMMEDIATE", lock_row="", claim_rows="")
# PostgreSQL runs writers side by side (READ COMMITTED); a row read before it is changed is
# locked, and a claim skips rows another worker has locked instead of waiting for them.
POSTGRESQL = Dialect("postgresql", begin="BEGIN", lock_row=" FOR UPDATE",
                     claim_rows=" FOR UPDATE SKIP LOCKED")


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and urlsplit(target).scheme in POSTGRES_SCHEMES


def dialect_of(target: str | Path) -> Dialect:
    return POSTGRESQL if is_url(target) else SQLITE


def migration_files(dialect: Dialect) -> dict[str, Path]:
    """``schema`` (a new database at the current version) and ``from_N`` (N to N+1)."""
    return {path.stem: path for path in sorted(dialect.migrations.glob("*.sql"))}


def statements(path: Path) -> list[str]:
    """A migration file's statements: split on ``;`` at a line end, ``--`` comments dropped."""
    text = "\n".join(line for line in path.read_text().splitlines()
                     if not line.lstrip().startswith("--"))
    return [part.strip() for part in re.split(r";\s*$", text, flags=re.M) if part.strip()]


def redacted(target: str | Path) -> str:
    """The store as it may be shown (messages, logs): a URL without its password."""
    if not is_url(target):
        return str(target)
    parts = urlsplit(str(target))
    if parts.password is None:
        return str(target)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
