"""A queue nobody consumes says so: the run's status names how long it has waited, and past the
alert time the log has an error and the webhook one notice per run (issue 20, part 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from structlog.testing import capture_logs

from runner.app.notify import Notifier
from runner.app.queue_watch import report_stale
from runner.clock import FixedClock
from runner.engine.result import result_of
from runner.store.runs import RunStore
from tests.receiver import Receiver
from tests.waiting import wait_until


def test_a_queued_run_nobody_takes_is_reported_once(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 5, 1, 9, tzinfo=UTC))
    receiver = Receiver()
    notifier = Notifier(receiver.url, "http://console.example")
    notifier.start()
    try:
        with RunStore(tmp_path / "runs.db", clock) as store:
            run = store.create_run("T-1", "cancel_refund", {"domain": "a.example"},
                                   queued=True).run
            early = clock.at + timedelta(minutes=3)
            assert report_stale(store, early, notifier) == 0
            said = result_of(run, (), now=early).next_action
            assert said is not None and "queued 3 minute(s) ago" in said.summary
            assert "no worker has taken it" in said.summary
            late = clock.at + timedelta(minutes=11)
            with capture_logs() as logs:
                assert report_stale(store, late, notifier) == 1
                assert report_stale(store, late, notifier) == 1  # logged again, sent once
            errors = [e for e in logs if e["log_level"] == "error"]
            assert [e["event"] for e in errors] == ["queue_not_consumed"] * 2
            assert errors[0]["run_id"] == run.run_id and errors[0]["queued_minutes"] == 11
            wait_until(lambda: receiver.posted, timedelta(seconds=30), "the notice posted")
            (notice,) = receiver.posted
            assert "T-1" in notice["text"] and "no worker has taken it" in notice["text"]
            assert f"http://console.example/console/runs/{run.run_id}" in notice["text"]
    finally:
        notifier.stop()
        receiver.close()
