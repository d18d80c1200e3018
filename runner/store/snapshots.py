"""What real runs saw on the pages the nightly selector check cannot reach, one row per page.

The GeoTrust pages past the image number, the access email and the customer's portal are behind
a person (a captcha, a mailbox), so the night cannot open them; a run that passes one keeps the
page's accessibility snapshot here, with when, where and which run. The check then resolves each
declared locator of the page against the latest snapshot. One row per page (``page_snapshots``,
schema 3): the latest wins, by the time it was taken, so a slow writer cannot put an older
picture over a newer one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runner.store.db import Database, at, transaction, ts


@dataclass(frozen=True)
class PageSnapshot:
    """One page as a run last saw it: its ARIA snapshot (redacted), URL, run and time."""

    page: str  # "geotrust.RequestAccessPage"
    run_id: str
    taken_at: datetime
    url: str
    snapshot: str


class PageSnapshots:
    """The snapshots table on the store's connection (``RunStore.snapshots``)."""

    def __init__(self, db: Database, now: Callable[[], str]) -> None:
        self.db = db
        self._now = now

    def save(self, page: str, run_id: str, url: str, snapshot: str,
             taken_at: datetime | None = None) -> None:
        """Keep ``snapshot`` as the page's latest, unless a later one is already kept."""
        when = ts(taken_at) if taken_at is not None else self._now()
        with transaction(self.db) as db:
            db.execute("INSERT INTO page_snapshots (page, run_id, taken_at, url, snapshot) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (page) DO UPDATE SET "
                       "run_id = excluded.run_id, taken_at = excluded.taken_at, "
                       "url = excluded.url, snapshot = excluded.snapshot "
                       "WHERE page_snapshots.taken_at <= excluded.taken_at",
                       (page, run_id, when, url, snapshot))

    def get(self, page: str) -> PageSnapshot | None:
        row = self.db.execute("SELECT * FROM page_snapshots WHERE page = ?", (page,)).fetchone()
        return _snapshot(row) if row else None

    def latest(self) -> dict[str, PageSnapshot]:
        """Every page's latest snapshot, by page name."""
        rows = self.db.execute("SELECT * FROM page_snapshots ORDER BY page").fetchall()
        return {row["page"]: _snapshot(row) for row in rows}


def _snapshot(row: Mapping[str, Any]) -> PageSnapshot:
    """sqlite3.Row and psycopg's dict rows both answer by column name."""
    return PageSnapshot(row["page"], row["run_id"], at(row["taken_at"]), row["url"],
                        row["snapshot"])
