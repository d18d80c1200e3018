"""The side-effect ledger: one row per (action, order), whatever ticket or run asks; in SQLite
and in PostgreSQL alike (``store_target``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from runner.clock import FixedClock
from runner.store.ledger import Ledger, LedgerStatus
from runner.store.runs import RunStore, StoreError
from tests.threads import all_at_once

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
REFUND = ("pm.refund", "ORD-1")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store(store_target: str | Path, clock: FixedClock) -> Iterator[RunStore]:
    with RunStore(store_target, clock) as opened:
        yield opened


@pytest.fixture
def ledger(store: RunStore) -> Ledger:
    return store.ledger


@pytest.fixture
def other(store_target: str | Path, clock: FixedClock, store: RunStore) -> Iterator[Ledger]:
    """The same store through a second connection, as another process would have it."""
    with RunStore(store_target, clock) as opened:
        yield opened.ledger


def test_one_row_per_order_whatever_ticket_asks(ledger: Ledger, other: Ledger) -> None:
    entry, created = ledger.begin(*REFUND, run_id="run-a", ticket="T-1")
    assert created and entry.status is LedgerStatus.ATTEMPTING
    assert (entry.run_id, entry.ticket) == ("run-a", "T-1")
    again, created_again = other.begin(*REFUND, run_id="run-b", ticket="T-2")
    assert not created_again and again == entry  # the second ticket reads the first's row
    assert ledger.db.execute("SELECT COUNT(*) AS n FROM ledger").fetchone()["n"] == 1
    _, another_action = ledger.begin("geotrust.request_access", "ORD-1", run_id="run-b",
                                     ticket="T-2")
    assert another_action


def test_the_key_is_a_constraint(ledger: Ledger) -> None:
    ledger.begin(*REFUND, run_id="run-a", ticket="T-1")
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        ledger.db.execute("INSERT INTO ledger (action, order_key, ticket, run_id, status, "
                          "attempted_at) VALUES (?, ?, 'T-9', 'run-x', 'attempting', 'now')",
                          REFUND)


def test_confirm_keeps_the_first_evidence(ledger: Ledger, clock: FixedClock) -> None:
    ledger.begin(*REFUND, run_id="run-a", ticket="T-1")
    clock.advance(timedelta(seconds=3))
    done = ledger.confirm(*REFUND, {"ref": "RF-1"})
    assert done.status is LedgerStatus.CONFIRMED and done.evidence == {"ref": "RF-1"}
    assert done.confirmed_at == T0 + timedelta(seconds=3)
    assert ledger.confirm(*REFUND, {"ref": "RF-2"}).evidence == {"ref": "RF-1"}
    assert ledger.begin(*REFUND, run_id="run-b", ticket="T-2") == (done, False)
    assert ledger.get(*REFUND) == done


def test_abandoned_attempt_is_rearmed_for_the_next_run(ledger: Ledger) -> None:
    ledger.begin(*REFUND, run_id="run-a", ticket="T-1")
    abandoned = ledger.abandon(*REFUND, run_id="run-a", evidence={"why": "refused"})
    assert abandoned.status is LedgerStatus.ABANDONED
    entry, created = ledger.begin(*REFUND, run_id="run-b", ticket="T-2")
    assert created and entry.status is LedgerStatus.ATTEMPTING
    assert (entry.run_id, entry.ticket, entry.evidence) == ("run-b", "T-2", {})


def test_only_the_attempting_run_may_abandon(ledger: Ledger) -> None:
    ledger.begin(*REFUND, run_id="run-a", ticket="T-1")
    with pytest.raises(StoreError) as caught:
        ledger.abandon(*REFUND, run_id="run-b", evidence={})
    assert caught.value.code == "ledger_not_ours"
    ledger.confirm(*REFUND, {"ref": "RF-1"})
    with pytest.raises(StoreError) as caught:
        ledger.abandon(*REFUND, run_id="run-a", evidence={})
    assert caught.value.code == "ledger_confirmed"


def test_confirm_without_begin(ledger: Ledger) -> None:
    with pytest.raises(StoreError) as caught:
        ledger.confirm(*REFUND, {})
    assert caught.value.code == "ledger_missing"
    assert ledger.get(*REFUND) is None


def test_take_over_lets_one_run_of_two_win(ledger: Ledger, other: Ledger,
                                           clock: FixedClock) -> None:
    dead, _ = ledger.begin(*REFUND, run_id="run-a", ticket="T-1")
    clock.advance(timedelta(minutes=5))
    won = ledger.take_over(dead, run_id="run-b", ticket="T-2")
    lost = other.take_over(dead, run_id="run-c", ticket="T-3")
    assert won is not None and (won.run_id, won.ticket) == ("run-b", "T-2")
    assert won.attempted_at == T0 + timedelta(minutes=5)
    assert lost is None
    assert ledger.get(*REFUND) == won


def test_for_order_and_for_run(ledger: Ledger, clock: FixedClock) -> None:
    ledger.begin(*REFUND, run_id="run-a", ticket="T-1")
    clock.advance(timedelta(seconds=1))
    ledger.begin("geotrust.request_access", "ORD-1", run_id="run-b", ticket="T-2")
    ledger.begin("pm.refund", "ORD-2", run_id="run-a", ticket="T-1")
    ledger.confirm("pm.refund", "ORD-2", {})
    assert [e.action for e in ledger.for_order("ORD-1")] == ["pm.refund",
                                                            "geotrust.request_access"]
    assert [e.order_key for e in ledger.for_run("run-a")] == ["ORD-1", "ORD-2"]
    assert [e.order_key for e in ledger.for_run("run-a", LedgerStatus.ATTEMPTING)] == ["ORD-1"]


def test_evidence_secrets_refused(ledger: Ledger) -> None:
    ledger.begin(*REFUND, run_id="run-a", ticket="T-1")
    with pytest.raises(StoreError, match="secret"):
        ledger.confirm(*REFUND, {"api_key": "x"})


@pytest.mark.parametrize("rearm", [False, True], ids=["new", "abandoned"])
def test_many_connections_at_once_make_one_claim(store_target: str | Path, clock: FixedClock,
                                                 store: RunStore, rearm: bool) -> None:
    """Eight processes' worth of connections ask for the same refund at the same moment (a
    barrier releases them together): exactly one may click, whether the row is new or an
    abandoned attempt being re-armed. In PostgreSQL this is the row lock at work."""
    if rearm:
        store.ledger.begin(*REFUND, run_id="run-0", ticket="T-0")
        store.ledger.abandon(*REFUND, run_id="run-0", evidence={"console": "not refunded"})

    def ask(n: int, together: Callable[[], None]) -> bool:
        with RunStore(store_target, clock) as own:  # a connection belongs to its thread
            together()
            return own.ledger.begin(*REFUND, run_id=f"run-{n + 1}", ticket=f"T-{n + 1}").created

    claims = all_at_once(8, ask)
    assert sorted(claims) == [False] * 7 + [True]
    entry = store.ledger.get(*REFUND)
    assert entry is not None and entry.status is LedgerStatus.ATTEMPTING
