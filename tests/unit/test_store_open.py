"""Opening the runs database: a store that cannot be used is refused, never changed."""

from __future__ import annotations

import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from runner.store.opening import StoreUnusable
from runner.store.runs import RunStore


def test_a_new_store_is_owner_only(tmp_path: Path) -> None:
    RunStore(tmp_path / "runs.db").close()
    for name in ("runs.db", "runs.db.lock"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_a_locked_store_is_a_retry_later_error(tmp_path: Path) -> None:
    RunStore(tmp_path / "runs.db").close()
    holder = sqlite3.connect(tmp_path / "runs.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnusable) as caught:
            RunStore(tmp_path / "runs.db", busy_timeout=timedelta(milliseconds=50))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (caught.value.code, caught.value.kind) == ("store_locked", "console")
    assert "retry later" in caught.value.message


def test_tables_without_a_schema_version_are_not_ours(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (id INTEGER)")
    before = path.read_bytes()
    with pytest.raises(StoreUnusable) as caught:
        RunStore(path)
    assert (caught.value.code, caught.value.kind) == ("store_corrupt", "drift")
    assert "left untouched" in caught.value.message
    assert path.read_bytes() == before


def test_a_folder_is_unreachable(tmp_path: Path) -> None:
    (tmp_path / "runs.db").mkdir()
    with pytest.raises(StoreUnusable) as caught:
        RunStore(tmp_path / "runs.db")
    assert caught.value.code == "store_unreachable" and "folder" in caught.value.message
