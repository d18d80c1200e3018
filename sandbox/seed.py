"""Bring a sandbox DB into its seeded state: created on first use, reset on demand.

Orders are seeded relative to "now" so the refund window means the same thing every day. The
two canaries are re-dated to "1 day ago" whenever the DB is opened by a server or the CLI, so a
long-lived sandbox DB still has a fresh order for the nightly canary run.
"""

from __future__ import annotations

import fcntl
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sandbox import db, faults
from sandbox.orders import insert_order
from sandbox.times import iso, to_utc

QUICKSSL = ("GeoTrust QuickSSL Premium", 14900)
BUSINESS_ID = ("GeoTrust True BusinessID", 19900)
SECURE_SITE = ("Symantec Secure Site", 39900)


@dataclass(frozen=True)
class SeedOrder:
    """One row of the seed table in docs/sandbox-ui.md."""

    domain: str
    customer: str
    state: str
    days_ago: int
    admin_email: str
    product: tuple[str, int] = QUICKSSL
    canary: bool = False
    common_name: str | None = None  # Symantec's, when it is not the domain


SEED_ORDERS: tuple[SeedOrder, ...] = (
    SeedOrder("fresh-issued.example", "Ada Fresh", "issued", 5, "admin@fresh-issued.example"),
    SeedOrder("pending.example", "Pat Pending", "pending_setup", 3, "admin@pending.example",
              BUSINESS_ID),
    SeedOrder("old-issued.example", "Olga Old", "issued", 45, "admin@old-issued.example",
              SECURE_SITE),
    SeedOrder("cancelled.example", "Cole Cancel", "cancelled", 10, "admin@cancelled.example"),
    SeedOrder("refunded.example", "Rita Refund", "refunded", 12, "admin@refunded.example"),
    SeedOrder("shop.example", "Sam Shop", "issued", 7, "admin@shop.example", BUSINESS_ID),
    SeedOrder("myshop.example", "Mia Myshop", "pending_setup", 2, "admin@myshop.example"),
    SeedOrder("canary.example", "Canary Monitor", "issued", 1, "canary@canary.example",
              canary=True),
    SeedOrder("canary-pending.example", "Canary Pending", "pending_setup", 1,
              "admin@canary-pending.example", canary=True),
    # Symantec's record disagrees with Product Management: the runner must stop before GeoTrust.
    SeedOrder("mismatch.example", "Max Mismatch", "issued", 4, "admin@mismatch.example",
              common_name="other-shop.example"),
    SeedOrder("no-admin.example", "Nora Noadmin", "issued", 6, ""),
)


def seed(conn: sqlite3.Connection, now: datetime) -> None:
    """Insert the seed orders and default faults (inside the caller's transaction)."""
    for row in SEED_ORDERS:
        purchased_at = to_utc(now) - timedelta(days=row.days_ago)
        insert_order(conn, domain=row.domain, purchased_at=purchased_at, state=row.state,
                     admin_email=row.admin_email, customer=row.customer, product=row.product,
                     canary=row.canary, common_name=row.common_name)
    faults.insert_defaults(conn)
    conn.execute("INSERT INTO meta (key, value) VALUES ('seeded_at', ?)", (iso(now),))


def redate_canaries(conn: sqlite3.Connection, now: datetime) -> None:
    """Keep the canaries purchased "1 day ago" (their state is left as the last run left it)."""
    conn.execute("UPDATE orders SET purchased_at = ? WHERE canary = 1",
                 (iso(to_utc(now) - timedelta(days=1)),))


def prepare(path: Path, now: datetime) -> None:
    """Create and seed the DB on first use; on later opens only re-date the canaries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = db.connect(path)
    # Two commands opening a new DB at once: WAL and the seed are set up by one of them only.
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            with db.transaction(conn):
                if db.has_schema(conn):
                    db.upgrade_schema(conn)
                    redate_canaries(conn, now)
                else:
                    db.create_schema(conn)
                    seed(conn, now)
        finally:
            conn.close()
            fcntl.flock(lock, fcntl.LOCK_UN)


def reset(path: Path, now: datetime) -> None:
    """Drop everything and seed afresh, in place, so a running server sees the new state."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = db.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        with db.transaction(conn):
            db.drop_schema(conn)
            db.create_schema(conn)
            seed(conn, now)
    finally:
        conn.close()
