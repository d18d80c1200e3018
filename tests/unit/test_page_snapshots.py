"""Page snapshots (runner.store.snapshots), in SQLite and PostgreSQL: one row per page, the
latest by the time it was taken, whoever writes last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from runner.clock import FixedClock
from runner.store.runs import RunStore

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
PAGE = "geotrust.RequestAccessPage"


def test_a_page_keeps_its_latest_snapshot(store_target: str | Path) -> None:
    clock = FixedClock(T0)
    with RunStore(store_target, clock) as store, RunStore(store_target, clock) as other:
        assert store.snapshots.get(PAGE) is None and store.snapshots.latest() == {}
        store.snapshots.save(PAGE, "run-1", "http://g/", '- button "Request Access"')
        clock.advance(timedelta(hours=2))
        other.snapshots.save(PAGE, "run-2", "http://g/", '- button "Ask for access"')
        # A slow writer with an older picture does not replace the newer one.
        store.snapshots.save(PAGE, "run-0", "http://g/", "- old", taken_at=T0)
        store.snapshots.save("portal.CertificatePage", "run-2", "http://p/", "- heading")

        kept = store.snapshots.get(PAGE)
        assert kept is not None
        assert (kept.run_id, kept.snapshot, kept.taken_at) == (
            "run-2", '- button "Ask for access"', T0 + timedelta(hours=2))
        assert list(other.snapshots.latest()) == ["geotrust.RequestAccessPage",
                                                  "portal.CertificatePage"]
