"""The gauges read from the store and the state home at scrape time, against a real store."""

from __future__ import annotations

import json
import os
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from runner.clock import FixedClock
from runner.observability.exposition import NightlyCollector, registry
from runner.observability.nightly import read_nightly
from runner.observability.store_gauges import StoreCollector
from runner.store.db import ts
from runner.store.runs import RunStatus, RunStore

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _samples(collected: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Through the text format and prometheus_client's own parser, as Prometheus reads it."""
    text = generate_latest(collected).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _pause(store: RunStore, clock: FixedClock, ticket: str, status: RunStatus,
           next_action: dict[str, str] | None = None, step: str = "s") -> str:
    run = store.create_run(ticket, "cancel_refund").run
    store.acquire_lease(run.run_id, "me", timedelta(minutes=5))
    run.status, run.next_action, run.current_step = status, next_action, step
    store.record_step(run, step, "wait", "paused", owner="me", lease=timedelta(minutes=5))
    store.release_lease(run.run_id, "me")
    return run.run_id


def test_waits_queue_and_failures_with_the_age_of_the_oldest(tmp_path: Path) -> None:
    clock = FixedClock(NOW - timedelta(minutes=20))
    store = RunStore(tmp_path / "runs.db", clock=clock)
    _pause(store, clock, "T-1", RunStatus.NEEDS_INPUT, {"type": "provide_input"})
    clock.advance(timedelta(minutes=12))  # NOW - 8 min
    _pause(store, clock, "T-2", RunStatus.NEEDS_INPUT, {"type": "provide_input"})
    _pause(store, clock, "T-3", RunStatus.NEEDS_INPUT, {"type": "confirm_side_effect"})
    customer = _pause(store, clock, "T-4", RunStatus.WAITING, {"type": "wait"})
    clock.advance(timedelta(minutes=5))  # the wait checks again: the same wait, no younger
    _pause(store, clock, "T-4", RunStatus.WAITING, {"type": "wait"})
    assert store.get_run(customer) is not None
    queued = store.create_run("T-5", "cancel_refund").run
    store.db.execute("UPDATE runs SET status = ?, queued_at = ? WHERE run_id = ?",
                     ("queued", ts(NOW - timedelta(minutes=2)), queued.run_id))
    for ticket, kind, age in (("T-6", "console", 1), ("T-7", "drift", 2),
                              ("T-8", "console", 30)):
        run = store.create_run(ticket, "cancel_refund").run
        run.status, run.error = RunStatus.FAILED, {"kind": kind, "code": "x"}
        clock.set(NOW - timedelta(hours=age))
        store.save_run(run)
    clock.set(NOW)

    collected = CollectorRegistry()
    collected.register(StoreCollector(lambda: nullcontext(store)))
    got = _samples(collected)
    assert got[("certrunner_runs_waiting_for_person", (("reason", "provide_input"),))] == 2
    assert got[("certrunner_person_wait_oldest_seconds", (("reason", "provide_input"),))] == 1200
    assert got[("certrunner_runs_waiting_for_person", (("reason", "confirm_side_effect"),))] == 1
    assert got[("certrunner_runs_waiting_for_person", (("reason", "check_order"),))] == 0
    assert got[("certrunner_runs_waiting_for_customer", ())] == 1
    assert got[("certrunner_customer_wait_oldest_seconds", ())] == 480
    assert got[("certrunner_runs_queued", ())] == 1
    assert got[("certrunner_queued_oldest_seconds", ())] == 120
    assert got[("certrunner_runs_failed_24h", (("kind", "console"),))] == 1
    assert got[("certrunner_runs_failed_24h", (("kind", "drift"),))] == 1
    assert got[("certrunner_runs_failed_24h", (("kind", "input"),))] == 0
    store.close()


def _night(home: Path, night: str, exit_code: int, ok: int, drift: int) -> None:
    folder = home / "reports" / (night.replace("-", "") + "T020000Z")  # as the check names it
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps({
        "exit_code": exit_code, "started_at": f"{night}T02:00:00+00:00",
        "totals": {"pages": ok + drift + 3, "pages_ok": ok, "pages_drift": drift,
                   "pages_skipped": 3}}))


def test_the_nightly_check_newest_report_and_last_pass(tmp_path: Path) -> None:
    assert read_nightly(tmp_path).pages is None and read_nightly(tmp_path).last_pass is None
    baseline = tmp_path / "selector-baseline"
    baseline.mkdir()
    (baseline / "pm.SearchPage.aria.yaml").write_text("- button")
    os.utime(baseline / "pm.SearchPage.aria.yaml", (1_000_000, 1_000_000))
    assert read_nightly(tmp_path).last_pass == 1_000_000  # only the baseline so far
    _night(tmp_path, "2026-03-08", 0, 12, 0)
    _night(tmp_path, "2026-03-09", 1, 10, 2)
    (tmp_path / "reports" / "20260310T020000Z").mkdir()  # a night that wrote nothing yet
    collected = CollectorRegistry()
    collected.register(NightlyCollector(tmp_path))
    got = _samples(collected)
    assert got[("certrunner_selector_pages", (("status", "drift"),))] == 2
    assert got[("certrunner_selector_pages", (("status", "ok"),))] == 10
    assert got[("certrunner_selector_pages", (("status", "skipped"),))] == 3
    assert got[("certrunner_selector_last_pass_timestamp_seconds", ())] == datetime(
        2026, 3, 8, 2, tzinfo=UTC).timestamp()


def test_one_exposed_registry_holds_counters_gauges_and_the_process_state(
        tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.db", clock=FixedClock(NOW))
    exposed = registry(lambda: nullcontext(store), tmp_path,
                       lambda: {"workers": 3, "busy": 1, "browser_up": True})
    got = _samples(exposed)
    assert got[("certrunner_workers", ())] == 3
    assert got[("certrunner_workers_busy", ())] == 1
    assert got[("certrunner_browser_up", ())] == 1
    assert ("certrunner_runs_queued", ()) in got
    assert ("certrunner_drives_in_progress", ()) in got
    store.close()
