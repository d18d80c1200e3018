"""Which store errors are an outage (waited out by a drive) and which are a refusal (never)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from runner.store import availability
from runner.store.runs import RunStore, StoreUnavailable


def test_a_file_kept_locked_past_the_busy_timeout_is_an_outage(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with RunStore(path) as store, RunStore(path, busy_timeout=timedelta(milliseconds=50)) as other:
        run = store.create_run("T-1", "cancel_refund").run
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreUnavailable) as caught:
                other.acquire_lease(run.run_id, "A", timedelta(minutes=1))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert caught.value.code == "store_unavailable"
        assert caught.value.__cause__ is not None
        assert availability.transient(caught.value.__cause__)
        assert other.acquire_lease(run.run_id, "A", timedelta(minutes=1))  # and it passes


def test_a_refusal_is_not_an_outage(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        with pytest.raises(sqlite3.IntegrityError):
            store.db.execute("INSERT INTO runs (run_id) VALUES (NULL)")
        with pytest.raises(sqlite3.OperationalError) as caught:
            store.db.execute("SELECT nothing FROM nowhere")
        assert not availability.transient(caught.value)
