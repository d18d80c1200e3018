"""The sandbox's SQLite file: connections, transactions and the schema.

Every request opens its own short-lived connection, so the file can be shared by a running
server, the CLI and tests in other processes. Writes that must not race (a refund) run inside
``transaction()``, which takes SQLite's write lock up front.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE customers (customer_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE orders (
    num INTEGER PRIMARY KEY,
    order_id TEXT NOT NULL UNIQUE,
    partner_order_id TEXT NOT NULL UNIQUE,
    domain TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (customer_id),
    product TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    purchased_at TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending_setup', 'issued', 'cancelled', 'refunded')),
    admin_email TEXT NOT NULL,
    canary INTEGER NOT NULL DEFAULT 0,
    common_name TEXT  -- Symantec's common name when it is not the domain (NULL: the domain)
);
CREATE INDEX orders_domain ON orders (domain);
-- No UNIQUE on order_id: a doubled refund must be countable, not merely impossible.
CREATE TABLE refunds (
    num INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    refunded_at TEXT NOT NULL
);
CREATE TABLE faults (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    latency_ms INTEGER NOT NULL,
    error_rate REAL NOT NULL,
    session_ttl REAL NOT NULL,
    mail_delay REAL NOT NULL,
    layout TEXT NOT NULL,
    down TEXT NOT NULL,
    write_fault TEXT NOT NULL DEFAULT 'none',
    fail_next INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE symantec_sessions (
    token TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE geotrust_sessions (
    session_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    verified_order_id TEXT,
    verified_email TEXT
);
CREATE TABLE captcha_challenges (
    challenge_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    png BLOB NOT NULL,
    png_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX captcha_by_session ON captcha_challenges (session_id);
CREATE INDEX captcha_by_sha ON captcha_challenges (png_sha256);
CREATE TABLE portal_tokens (
    token TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    created_at TEXT NOT NULL
);
CREATE TABLE portal_sessions (
    session_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    created_at TEXT NOT NULL
);
CREATE TABLE mails (
    id INTEGER PRIMARY KEY,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    portal_token TEXT NOT NULL REFERENCES portal_tokens (token),
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    created_at TEXT NOT NULL,
    deliver_at TEXT NOT NULL
);
"""

TABLES = (
    "mails", "portal_sessions", "portal_tokens", "captcha_challenges", "geotrust_sessions",
    "symantec_sessions", "counters", "faults", "refunds", "orders", "customers", "meta",
)


def connect(path: Path) -> sqlite3.Connection:
    """Open the sandbox DB in autocommit mode; callers group writes with ``transaction()``."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable enough, far fewer fsyncs
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Take the write lock first (BEGIN IMMEDIATE) so check-then-write cannot race."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def has_schema(conn: sqlite3.Connection) -> bool:
    """Whether the file already holds a sandbox schema."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    return row.fetchone() is not None


def upgrade_schema(conn: sqlite3.Connection) -> None:
    """Bring a sandbox DB written by an older version up to date, keeping its state."""
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(faults)")}
    if "write_fault" not in columns:
        conn.execute("ALTER TABLE faults ADD COLUMN write_fault TEXT NOT NULL DEFAULT 'none'")
    if "fail_next" not in columns:
        conn.execute("ALTER TABLE faults ADD COLUMN fail_next INTEGER NOT NULL DEFAULT 0")
    if "common_name" not in {row["name"] for row in conn.execute("PRAGMA table_info(orders)")}:
        conn.execute("ALTER TABLE orders ADD COLUMN common_name TEXT")


def create_schema(conn: sqlite3.Connection) -> None:
    """Create every table (inside the caller's transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))


def drop_schema(conn: sqlite3.Connection) -> None:
    """Drop every sandbox table (inside the caller's transaction)."""
    for table in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
