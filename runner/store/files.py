"""A paused run's files, kept where the store is so any machine can continue the run.

Two kinds only: the captcha image a person must read (any machine, any door can show it), and
the run's own console session (the anonymous GeoTrust session the captcha was read in), so the
answer given on another machine is checked against the same challenge. Never a console login
(those stay in each machine's login state, from its own credentials) and never an answer.
"""

from __future__ import annotations

from collections.abc import Callable

from runner.store.db import Database, transaction


class RunFiles:
    """The run_files table on the store's connection (``RunStore.files``)."""

    def __init__(self, db: Database, now: Callable[[], str]) -> None:
        self.db = db
        self._now = now

    def put(self, run_id: str, name: str, content: bytes, media_type: str) -> None:
        with transaction(self.db) as db:
            db.execute("DELETE FROM run_files WHERE run_id = ? AND name = ?", (run_id, name))
            db.execute("INSERT INTO run_files (run_id, name, content, media_type, created_at) "
                       "VALUES (?, ?, ?, ?, ?)", (run_id, name, content, media_type,
                                                  self._now()))

    def get(self, run_id: str, name: str) -> tuple[bytes, str] | None:
        row = self.db.execute("SELECT content, media_type FROM run_files WHERE run_id = ? AND "
                              "name = ?", (run_id, name)).fetchone()
        return (bytes(row["content"]), row["media_type"]) if row else None

    def drop(self, run_id: str, name: str) -> None:
        with transaction(self.db) as db:
            db.execute("DELETE FROM run_files WHERE run_id = ? AND name = ?", (run_id, name))
