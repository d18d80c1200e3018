"""The SQLite run store: one run per ticket and flow, leases, events and the ledger."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from runner.engine.clock import FixedClock
from runner.engine.store import (
    SCHEMA_VERSION,
    LedgerStatus,
    RunStatus,
    RunStore,
    StoreError,
    default_owner,
)
from runner.errors import InputError

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "runs.db"


@pytest.fixture
def store(db_path, clock):
    with RunStore(db_path, clock) as opened:
        yield opened


@pytest.fixture
def other(db_path, clock):
    """A second connection to the same file, as another process would have."""
    with RunStore(db_path, clock) as opened:
        yield opened


class TestRuns:
    def test_create_twice_returns_the_same_run(self, store, other):
        first, created = store.create_run("T-1", "cancel_refund", {"domain": "a.example"})
        assert created and first.status is RunStatus.RUNNING
        assert first.run_id.startswith("run-") and len(first.run_id) == 16
        again, created_again = other.create_run("T-1", "cancel_refund", {"domain": "other"})
        assert not created_again
        assert again.run_id == first.run_id and again.inputs == {"domain": "a.example"}
        _, created_other_flow = store.create_run("T-1", "cancel_only")
        assert created_other_flow
        assert [r.flow for r in store.find_runs_by_ticket("T-1")] == [
            "cancel_refund", "cancel_only"]

    def test_concurrent_creates_make_one_run(self, db_path, clock):
        results = []

        def trigger():
            with RunStore(db_path, clock) as own:
                results.append(own.create_run("T-9", "cancel_refund"))

        RunStore(db_path, clock).close()  # schema in place before the race
        threads = [threading.Thread(target=trigger) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(created for _, created in results) == 1
        assert len({run.run_id for run, _ in results}) == 1

    def test_get_unknown_run(self, store):
        assert store.get_run("run-000000000000") is None

    def test_save_and_reopen(self, store, db_path, clock):
        run, _ = store.create_run("T-2", "cancel_refund", {"domain": "a.example"})
        run.status = RunStatus.WAITING
        run.current_step = "cancelled"
        run.context = {"order": {"order_id": "ORD-1", "purchased_at": T0}}
        run.next_action = {"summary": "wait for the customer to cancel"}
        run.next_check_at = T0 + timedelta(hours=6)
        run.deadline = T0 + timedelta(days=14)
        clock.advance(timedelta(minutes=1))
        saved = store.save_run(run)
        assert saved.updated_at == T0 + timedelta(minutes=1)
        store.close()
        with RunStore(db_path, clock) as reopened:
            back = reopened.get_run(run.run_id)
        assert back == saved
        assert back.context["order"]["purchased_at"] == T0.isoformat()  # stored as JSON
        assert back.next_check_at == T0 + timedelta(hours=6)

    def test_wal_mode(self, store):
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    @pytest.mark.parametrize("where", ["inputs", "context"])
    def test_secrets_are_refused(self, store, where):
        with pytest.raises(StoreError) as caught:
            store.create_run("T-3", "f", **{where: {"login": {"Password": "hunter2"}}})
        assert caught.value.code == "secret_in_store"
        assert store.find_runs_by_ticket("T-3") == []

    def test_secret_inside_a_dataclass_is_refused(self, store):
        @dataclass
        class Login:
            username: str
            password: str

        run, _ = store.create_run("T-4", "f")
        run.context = {"login": Login("partner", "sandbox-password")}
        with pytest.raises(StoreError, match="context.login.password"):
            store.save_run(run)

    def test_naive_datetime_refused(self, store):
        run, _ = store.create_run("T-5", "f")
        run.next_check_at = datetime(2026, 5, 2)
        with pytest.raises(InputError, match="no time zone"):
            store.save_run(run)

    def test_due_runs(self, store):
        def make(ticket, status, next_check_at):
            run, _ = store.create_run(ticket, "f")
            run.status, run.next_check_at = status, next_check_at
            return store.save_run(run)

        due = make("T-a", RunStatus.WAITING, T0 - timedelta(hours=1))
        exactly = make("T-b", RunStatus.WAITING, T0)
        make("T-c", RunStatus.WAITING, T0 + timedelta(seconds=1))
        make("T-d", RunStatus.NEEDS_INPUT, T0 - timedelta(days=1))
        assert [r.run_id for r in store.due_runs(T0)] == [due.run_id, exactly.run_id]
        assert len(store.due_runs(T0 + timedelta(days=1))) == 3


class TestLeases:
    def test_two_connections_contend(self, store, other, clock):
        run, _ = store.create_run("T-1", "f")
        assert store.acquire_lease(run.run_id, "A", timedelta(minutes=5))
        assert not other.acquire_lease(run.run_id, "B", timedelta(minutes=5))
        clock.advance(timedelta(minutes=4))
        assert store.acquire_lease(run.run_id, "A", timedelta(minutes=5))  # renew to +9m
        clock.advance(timedelta(minutes=2))
        assert not other.acquire_lease(run.run_id, "B", timedelta(minutes=5))
        clock.advance(timedelta(minutes=3))  # A stopped renewing: crashed or hung
        assert other.acquire_lease(run.run_id, "B", timedelta(minutes=5))
        assert not store.release_lease(run.run_id, "A")
        assert other.release_lease(run.run_id, "B")
        assert store.acquire_lease(run.run_id, "A", timedelta(minutes=5))

    def test_save_under_a_lost_lease_fails(self, store, other, clock):
        run, _ = store.create_run("T-2", "f")
        assert store.acquire_lease(run.run_id, "A", timedelta(seconds=30))
        store.save_run(run, owner="A")
        clock.advance(timedelta(minutes=1))
        assert other.acquire_lease(run.run_id, "B", timedelta(minutes=5))
        run.status = RunStatus.FAILED
        with pytest.raises(StoreError) as caught:
            store.save_run(run, owner="A")
        assert caught.value.code == "lease_lost"
        assert store.get_run(run.run_id).status is RunStatus.RUNNING

    def test_dead_owner_on_this_host_frees_the_lease(self, store, other):
        run, _ = store.create_run("T-3", "f")
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        host = default_owner().split(":")[0]
        assert store.acquire_lease(run.run_id, f"{host}:{gone.pid}:abc", timedelta(hours=1))
        assert other.acquire_lease(run.run_id, default_owner(), timedelta(hours=1))

    def test_unknown_run(self, store):
        with pytest.raises(StoreError) as caught:
            store.acquire_lease("run-000000000000", "A", timedelta(minutes=1))
        assert caught.value.code == "unknown_run"


class TestEvents:
    def test_append_and_read_in_order(self, store, other, clock):
        run, _ = store.create_run("T-1", "f")
        first = store.append_event(run.run_id, "order", "step", "done", duration_ms=120,
                                   data={"order_id": "ORD-1"})
        clock.advance(timedelta(seconds=2))
        second = other.append_event(run.run_id, "window", "step", "done")
        assert (first.seq, second.seq) == (1, 2)
        events = store.events(run.run_id)
        assert [(e.seq, e.step, e.duration_ms, e.data) for e in events] == [
            (1, "order", 120, {"order_id": "ORD-1"}), (2, "window", None, {})]
        assert events[1].ts == T0 + timedelta(seconds=2)

    def test_event_for_unknown_run_is_refused(self, store):
        with pytest.raises(sqlite3.IntegrityError):
            store.append_event("run-000000000000", None, "step")


class TestLedger:
    KEY = ("T-1", "pm.refund", "ORD-1")

    def test_begin_is_idempotent(self, store, other):
        entry, created = store.ledger_begin(*self.KEY, "run-a")
        assert created and entry.status is LedgerStatus.ATTEMPTING and entry.run_id == "run-a"
        again, created_again = other.ledger_begin(*self.KEY, "run-b")
        assert not created_again and again == entry
        count = store.db.execute("SELECT COUNT(*) FROM ledger").fetchone()[0]
        assert count == 1

    def test_unique_key_is_a_constraint(self, store):
        store.ledger_begin(*self.KEY, "run-a")
        with pytest.raises(sqlite3.IntegrityError):
            store.db.execute("INSERT INTO ledger (ticket, action, order_key, run_id, status, "
                             "attempted_at) VALUES (?, ?, ?, 'run-x', 'attempting', 'now')",
                             self.KEY)

    def test_confirm_keeps_the_first_evidence(self, store, clock):
        store.ledger_begin(*self.KEY, "run-a")
        clock.advance(timedelta(seconds=3))
        done = store.ledger_confirm(*self.KEY, {"ref": "RF-1"})
        assert done.status is LedgerStatus.CONFIRMED and done.evidence == {"ref": "RF-1"}
        assert done.confirmed_at == T0 + timedelta(seconds=3)
        assert store.ledger_confirm(*self.KEY, {"ref": "RF-2"}).evidence == {"ref": "RF-1"}
        assert store.ledger_begin(*self.KEY, "run-b") == (done, False)
        assert store.ledger_get(*self.KEY) == done

    def test_abandoned_attempt_is_rearmed(self, store):
        store.ledger_begin(*self.KEY, "run-a")
        abandoned = store.ledger_abandon(*self.KEY, {"why": "console showed no refund"})
        assert abandoned.status is LedgerStatus.ABANDONED
        entry, created = store.ledger_begin(*self.KEY, "run-b")
        assert created and entry.status is LedgerStatus.ATTEMPTING and entry.run_id == "run-b"

    def test_confirmed_cannot_be_abandoned(self, store):
        store.ledger_begin(*self.KEY, "run-a")
        store.ledger_confirm(*self.KEY, {"ref": "RF-1"})
        with pytest.raises(StoreError) as caught:
            store.ledger_abandon(*self.KEY, {})
        assert caught.value.code == "ledger_confirmed"

    def test_confirm_without_begin(self, store):
        with pytest.raises(StoreError) as caught:
            store.ledger_confirm(*self.KEY, {})
        assert caught.value.code == "ledger_missing"
        assert store.ledger_get(*self.KEY) is None

    def test_for_order_spans_tickets(self, store, clock):
        store.ledger_begin("T-1", "pm.refund", "ORD-1", "run-a")
        clock.advance(timedelta(seconds=1))
        store.ledger_begin("T-2", "pm.refund", "ORD-1", "run-b")
        store.ledger_begin("T-3", "pm.refund", "ORD-2", "run-c")
        assert [e.ticket for e in store.ledger_for_order("ORD-1")] == ["T-1", "T-2"]

    def test_evidence_secrets_refused(self, store):
        store.ledger_begin(*self.KEY, "run-a")
        with pytest.raises(StoreError, match="secret"):
            store.ledger_confirm(*self.KEY, {"api_key": "x"})


def test_newer_schema_is_refused(db_path, clock):
    RunStore(db_path, clock).close()
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError) as caught:
        RunStore(db_path, clock)
    assert caught.value.code == "store_too_new"


def test_lease_contention_across_processes(db_path):
    """Real processes, real file locks: of four contenders exactly one gets the run."""
    with RunStore(db_path) as store:
        run, _ = store.create_run("T-p", "f")
    script = (
        "import sys; from datetime import timedelta; from runner.engine.store import RunStore\n"
        "with RunStore(sys.argv[1]) as s:\n"
        "    print(s.acquire_lease(sys.argv[2], sys.argv[3], timedelta(minutes=5)))\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db_path), run.run_id, f"p{i}"],
                              stdout=subprocess.PIPE, text=True) for i in range(4)]
    answers = [proc.communicate(timeout=30)[0].strip() for proc in procs]
    assert sorted(answers) == ["False", "False", "False", "True"]


def test_orphaned_runs_are_those_no_live_process_holds(tmp_path):
    from datetime import timedelta

    from runner.engine.store import RunStatus, RunStore

    with RunStore(tmp_path / "runs.db") as store:
        held = store.create_run("T-1", "f").run
        dead = store.create_run("T-2", "f").run
        done = store.create_run("T-3", "f").run
        assert store.acquire_lease(held.run_id, "live-owner", timedelta(minutes=5))
        assert store.acquire_lease(dead.run_id, "gone", timedelta(seconds=-1))
        done.status = RunStatus.SUCCEEDED
        store.save_run(done)
        assert [r.run_id for r in store.orphaned_runs()] == [dead.run_id]
