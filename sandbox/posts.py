"""How many times each side-effecting POST reached the sandbox, per order.

The sandbox is kinder than a real console: a second refund POST says "Already refunded" and
writes nothing, so counting refund rows cannot catch a runner that clicks twice. These counters
can: every POST that reaches a side-effecting route is counted against its order, whatever the
route then answers. Tests read them through ``GET /sandbox/posts?order_id=``.
"""

from __future__ import annotations

import sqlite3

from sandbox.db import transaction

REFUND = "refund"
REQUEST_ACCESS = "request_access"
KINDS = (REFUND, REQUEST_ACCESS)


def _name(kind: str, order_id: str) -> str:
    return f"post:{kind}:{order_id}"


def count(conn: sqlite3.Connection, kind: str, order_id: str) -> None:
    """One more ``kind`` POST for ``order_id``."""
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO counters (name, value) VALUES (?, 0)",
                     (_name(kind, order_id),))
        conn.execute("UPDATE counters SET value = value + 1 WHERE name = ?",
                     (_name(kind, order_id),))


def for_order(conn: sqlite3.Connection, order_id: str) -> dict[str, int]:
    """POSTs per kind for one order, plus the access mails it was sent (delivered or not)."""
    counts = {kind: 0 for kind in KINDS}
    for kind in KINDS:
        row = conn.execute("SELECT value FROM counters WHERE name = ?",
                           (_name(kind, order_id),)).fetchone()
        counts[kind] = int(row["value"]) if row else 0
    mails = conn.execute("SELECT COUNT(*) FROM mails WHERE order_id = ?", (order_id,)).fetchone()
    counts["access_mails"] = int(mails[0])
    return counts
