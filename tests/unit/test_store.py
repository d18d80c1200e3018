"""The run store, in SQLite and in PostgreSQL alike (``store_target``): one run per ticket and
flow, leases, events, one write per step, listing and abandoning runs; and what only one of them
has: the migration of SQLite files written by schema 1, PostgreSQL's schema versions."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from runner.clock import FixedClock
from runner.errors import InputError
from runner.store.runs import (
    SCHEMA_VERSION,
    RunStatus,
    RunStore,
    StoreError,
    default_owner,
)
from tests.threads import all_at_once

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)


@pytest.fixture
def db_path(tmp_path):
    """A SQLite file, for what only SQLite has (its journal, its file format's versions)."""
    return tmp_path / "runs.db"


@pytest.fixture
def store(store_target, clock):
    with RunStore(store_target, clock) as opened:
        yield opened


@pytest.fixture
def other(store_target, clock):
    """A second connection to the same store, as another process would have."""
    with RunStore(store_target, clock) as opened:
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

    def test_concurrent_creates_make_one_run(self, store_target, clock):
        def trigger(_, together):
            with RunStore(store_target, clock) as own:
                together()
                return own.create_run("T-9", "cancel_refund")

        RunStore(store_target, clock).close()  # schema in place before the race
        results = all_at_once(8, trigger)  # a thread that crashed fails the test
        assert len(results) == 8
        assert sum(created for _, created in results) == 1
        assert len({run.run_id for run, _ in results}) == 1

    def test_get_unknown_run(self, store):
        assert store.get_run("run-000000000000") is None

    def test_save_and_reopen(self, store, store_target, clock):
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
        with RunStore(store_target, clock) as reopened:
            back = reopened.get_run(run.run_id)
        assert back == saved
        assert back.context["order"]["purchased_at"] == T0.isoformat()  # stored as JSON
        assert back.next_check_at == T0 + timedelta(hours=6)

    def test_wal_mode(self, db_path):
        with RunStore(db_path) as store:
            assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    @pytest.mark.parametrize("where", ["inputs", "context"])
    def test_secrets_are_refused(self, store, where):
        with pytest.raises(StoreError) as caught:
            store.create_run("T-3", "f", **{where: {"login": {"Password": "hunter2"}}})
        assert caught.value.code == "secret_in_store"
        assert store.find_runs_by_ticket("T-3") == []

    def test_what_stands_for_a_secret_is_stored(self, store):
        """A suggested command's placeholder, a given answer's marker: not secrets themselves."""
        run, _ = store.create_run("T-6", "f")
        run.next_action = {"type": "provide_input",
                           "command": {"verb": "resume", "inputs": {"image_number": "<VALUE>"}}}
        run.context = {"steps": {"image_number": {"value": "[given]"}}}
        assert store.save_run(run).next_action == run.next_action
        run.next_action["command"]["inputs"]["image_number"] = "12345"
        with pytest.raises(StoreError, match="next_action.command.inputs.image_number"):
            store.save_run(run)

    def test_secret_inside_a_dataclass_is_refused(self, store):
        @dataclass
        class Login:
            username: str
            password: str

        run, _ = store.create_run("T-4", "f")
        run.context = {"login": Login("partner", "sandbox-password")}
        with pytest.raises(StoreError, match="context.login.password"):
            store.save_run(run)

    def test_a_placeholder_under_a_secret_key_is_stored(self, store):
        """A run paused for the captcha tells the caller what to type: not a secret."""
        run, _ = store.create_run("T-5", "f")
        run.next_action = {"command": {"inputs": {"image_number": "<IMAGE_NUMBER>"}}}
        store.save_run(run)
        run.next_action = {"command": {"inputs": {"image_number": "48213"}}}
        with pytest.raises(StoreError, match="image_number"):
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
        with pytest.raises(INTEGRITY_ERRORS):
            store.append_event("run-000000000000", None, "step")


def test_newer_schema_is_refused(db_path, clock):
    RunStore(db_path, clock).close()
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError) as caught:
        RunStore(db_path, clock)
    assert caught.value.code == "store_too_new"


def test_orphaned_runs_are_those_no_live_process_holds(store_target):
    with RunStore(store_target) as store:
        held = store.create_run("T-1", "f").run
        dead = store.create_run("T-2", "f").run
        done = store.create_run("T-3", "f").run
        assert store.acquire_lease(held.run_id, "live-owner", timedelta(minutes=5))
        assert store.acquire_lease(dead.run_id, "gone", timedelta(seconds=-1))
        done.status = RunStatus.SUCCEEDED
        store.save_run(done)
        assert [r.run_id for r in store.orphaned_runs()] == [dead.run_id]


class TestRecordStep:
    def test_one_write_transaction_saves_run_event_and_lease(self, store, other, clock):
        run, _ = store.create_run("T-1", "f")
        assert store.acquire_lease(run.run_id, "A", timedelta(minutes=5))
        if store.db.dialect.name != "sqlite":
            pytest.skip("counts SQLite's statements (its trace callback)")
        statements: list[str] = []
        store.db.raw.set_trace_callback(statements.append)
        clock.advance(timedelta(minutes=4))
        run.current_step, run.context = "window", {"steps": {"order": {"order_id": "ORD-1"}}}
        event = store.record_step(run, "order", "action", "done", owner="A",
                                  lease=timedelta(minutes=5), duration_ms=12)
        store.db.raw.set_trace_callback(None)
        assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
        assert not [s for s in statements if s.startswith("SELECT")]  # nothing re-read
        assert (event.seq, event.step, event.status, event.duration_ms) == (1, "order", "done",
                                                                           12)
        back = other.get_run(run.run_id)
        assert back.current_step == "window" and back.context == run.context
        assert back.lease_expires_at == T0 + timedelta(minutes=9) == run.lease_expires_at
        assert back.updated_at == run.updated_at
        assert other.events(run.run_id) == [event]

    def test_lost_lease_writes_nothing(self, store, other, clock):
        run, _ = store.create_run("T-2", "f")
        assert store.acquire_lease(run.run_id, "A", timedelta(seconds=30))
        clock.advance(timedelta(minutes=1))
        assert other.acquire_lease(run.run_id, "B", timedelta(minutes=5))
        run.status = RunStatus.FAILED
        with pytest.raises(StoreError) as caught:
            store.record_step(run, "order", "action", "failed", owner="A",
                              lease=timedelta(minutes=5))
        assert caught.value.code == "lease_lost"
        assert store.events(run.run_id) == []
        assert store.get_run(run.run_id).status is RunStatus.RUNNING


class TestListAndAbandon:
    def test_list_runs_filters_and_orders_newest_first(self, store, clock):
        made = []
        for ticket, flow in [("T-1", "cancel_refund"), ("T-2", "cancel_refund"),
                             ("T-2", "cancel_only")]:
            made.append(store.create_run(ticket, flow).run)
            clock.advance(timedelta(seconds=1))
        made[1].status = RunStatus.WAITING
        store.save_run(made[1])
        assert [r.run_id for r in store.list_runs()] == [r.run_id for r in reversed(made)]
        assert [r.run_id for r in store.list_runs(status="waiting")] == [made[1].run_id]
        assert [r.flow for r in store.list_runs(ticket="T-2")] == ["cancel_only", "cancel_refund"]
        assert [r.ticket for r in store.list_runs(flow="cancel_refund", limit=1)] == ["T-2"]
        assert store.list_runs(status="running", ticket="T-2", flow="cancel_refund") == []
        assert len(store.list_runs(limit=0)) == 0 and len(store.list_runs(limit=None)) == 3

    def test_abandon_keeps_the_reason_and_an_event(self, store, clock):
        run, _ = store.create_run("T-1", "f")
        run.status, run.next_check_at = RunStatus.WAITING, T0 + timedelta(hours=6)
        store.save_run(run)
        gone = store.abandon_run(run.run_id, "customer withdrew the ticket")
        assert (gone.status, gone.outcome) == (RunStatus.ABANDONED, "abandoned")
        assert gone.message == run.message and gone.next_check_at is None
        (event,) = store.events(run.run_id)
        assert (event.step, event.kind, event.data) == (
            None, "abandoned", {"reason": "customer withdrew the ticket", "forced": False})
        assert store.due_runs(T0 + timedelta(days=1)) == []
        assert store.abandon_run(run.run_id, "again") == gone  # a no-op the second time
        assert store.list_runs(status="abandoned") == [gone]

    def test_abandon_refused_while_a_side_effect_is_unconfirmed(self, store):
        run, _ = store.create_run("T-1", "f")
        run.status = RunStatus.FAILED
        store.save_run(run)
        store.ledger.begin("pm.refund", "ORD-1", run_id=run.run_id, ticket="T-1")
        with pytest.raises(StoreError) as caught:
            store.abandon_run(run.run_id, "stuck")
        assert caught.value.code == "side_effect_unconfirmed"
        assert "pm.refund on ORD-1" in caught.value.message
        assert store.get_run(run.run_id).status is RunStatus.FAILED
        assert store.abandon_run(run.run_id, "console checked: no refund",
                                 force=True).status is RunStatus.ABANDONED
        assert store.events(run.run_id)[-1].data["forced"] is True

    def test_abandon_refused_while_a_live_process_holds_the_run(self, store):
        run, _ = store.create_run("T-1", "f")
        assert store.acquire_lease(run.run_id, default_owner(), timedelta(minutes=5))
        with pytest.raises(StoreError) as caught:
            store.abandon_run(run.run_id, "stuck")
        assert caught.value.code == "run_in_progress"
        assert store.abandon_run(run.run_id, "stuck", force=True).lease_owner is None

    @pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.DENIED])
    def test_finished_runs_cannot_be_abandoned(self, store, status):
        run, _ = store.create_run("T-1", "f")
        run.status = status
        store.save_run(run)
        with pytest.raises(StoreError) as caught:
            store.abandon_run(run.run_id, "late", force=True)
        assert caught.value.code == "run_finished"

    def test_abandon_unknown_run(self, store):
        with pytest.raises(StoreError) as caught:
            store.abandon_run("run-000000000000", "x")
        assert caught.value.code == "unknown_run"


SCHEMA_1 = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, ticket TEXT NOT NULL, flow TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('running', 'succeeded', 'denied', 'waiting', 'needs_input', 'failed')),
    current_step TEXT, context TEXT NOT NULL DEFAULT '{}', inputs TEXT NOT NULL DEFAULT '{}',
    outcome TEXT, message TEXT, next_action TEXT, error TEXT, next_check_at TEXT,
    deadline TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, lease_owner TEXT,
    lease_expires_at TEXT, UNIQUE (ticket, flow));
CREATE INDEX runs_due ON runs (status, next_check_at);
CREATE TABLE events (run_id TEXT NOT NULL REFERENCES runs (run_id), seq INTEGER NOT NULL,
    ts TEXT NOT NULL, step TEXT, kind TEXT NOT NULL, status TEXT, duration_ms INTEGER,
    data TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (run_id, seq));
CREATE TABLE ledger (ticket TEXT NOT NULL, action TEXT NOT NULL, order_key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('attempting', 'confirmed', 'abandoned')),
    evidence TEXT NOT NULL DEFAULT '{}', attempted_at TEXT NOT NULL, confirmed_at TEXT,
    UNIQUE (ticket, action, order_key));
CREATE INDEX ledger_order ON ledger (order_key);
PRAGMA user_version = 1;
"""


def test_a_schema_1_file_is_migrated(db_path, clock):
    """Files in the wild: the ledger merges per order, the history stays in events only."""
    raw = sqlite3.connect(db_path)
    raw.executescript(SCHEMA_1)
    stamp = T0.isoformat()
    raw.execute("INSERT INTO runs (run_id, ticket, flow, status, current_step, context, "
                "created_at, updated_at) VALUES ('run-a', 'T-1', 'cancel_refund', 'waiting', "
                "'cancelled', ?, ?, ?)",
                ('{"log": [{"id": "order", "status": "done", "duration_ms": 5}], '
                 '"steps": {"order": {"order_id": "ORD-1"}}}', stamp, stamp))
    raw.execute("INSERT INTO events VALUES ('run-a', 1, ?, 'order', 'action', 'done', 5, '{}')",
                (stamp,))
    ledger_rows = [("T-1", "ORD-1", "run-a", "attempting", "09:00"),
                   ("T-2", "ORD-1", "run-b", "confirmed", "09:01"),
                   ("T-3", "ORD-1", "run-c", "abandoned", "08:00"),
                   ("T-4", "ORD-2", "run-d", "abandoned", "09:00")]
    for ticket, order, run_id, status, hour in ledger_rows:
        raw.execute("INSERT INTO ledger (ticket, action, order_key, run_id, status, "
                    "attempted_at) VALUES (?, 'pm.refund', ?, ?, ?, ?)",
                    (ticket, order, run_id, status, f"2026-05-01T{hour}:00+00:00"))
    raw.commit()
    raw.close()

    with RunStore(db_path, clock) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        run = store.get_run("run-a")
        assert run.context == {"steps": {"order": {"order_id": "ORD-1"}}}
        assert [(e.step, e.status) for e in store.events("run-a")] == [("order", "done")]
        (kept,) = store.ledger.for_order("ORD-1")
        assert (kept.ticket, kept.status) == ("T-2", "confirmed")
        assert [e.run_id for e in store.ledger.for_order("ORD-2")] == ["run-d"]
        assert store.abandon_run("run-a", "migrated and given up").status == "abandoned"
        store.append_event("run-a", None, "note")  # the events' reference to runs still holds
    with RunStore(db_path, clock) as again:  # opening a migrated file changes nothing
        assert again.get_run("run-a").status == "abandoned"


def test_postgresql_schema_version_is_kept_and_a_newer_one_refused(clock):
    """The version lives in certrunner_schema; opening twice migrates once; newer: refused."""
    from tests.servers import postgres_schema

    with postgres_schema() as url:
        RunStore(url, clock).close()
        with RunStore(url, clock) as again:
            rows = again.db.execute("SELECT version FROM certrunner_schema").fetchall()
            assert [row["version"] for row in rows] == [SCHEMA_VERSION]
            again.db.execute("UPDATE certrunner_schema SET version = ?", (SCHEMA_VERSION + 1,))
        with pytest.raises(StoreError) as caught:
            RunStore(url, clock)
        assert caught.value.code == "store_too_new"


def test_postgresql_unreachable_is_a_clear_error(clock):
    with pytest.raises(StoreError) as caught:
        RunStore("postgresql://nobody:hunter2@127.0.0.1:1/none", clock)
    assert caught.value.code == "store_unreachable"
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)
