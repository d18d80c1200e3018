"""The ledger guard's decisions, with a console made of plain Python (no browser needed):
every path that could click twice is walked here; the end-to-end tests walk them for real."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from runner.actions import ActionSpec, Effect
from runner.engine.side_effects import LedgerGuard, NeedsConfirmation
from runner.engine.store import LedgerStatus, RunStore
from runner.errors import BusinessError, ConsoleError


@dataclass
class Receipt:
    order_id: str
    refund_ref: str


@dataclass
class Shown:
    order_id: str
    refunded: bool
    refund_ref: str | None


@dataclass
class FakeConsole:
    """A console with one order: refunds are counted, and can fail on demand."""

    refunded: bool = False
    clicks: int = 0
    fail_with: Exception | None = None
    fail_after_effect: bool = False
    calls: list[str] = field(default_factory=list)

    def refund(self, _ctx: object, order_id: str) -> Receipt:
        self.calls.append("refund")
        if self.fail_with and not self.fail_after_effect:
            raise self.fail_with
        self.clicks += 1
        self.refunded = True
        if self.fail_with:
            raise self.fail_with
        return Receipt(order_id, "RF-1")

    def read(self, _ctx: object, order_id: str) -> Shown:
        self.calls.append("read")
        return Shown(order_id, self.refunded, "RF-1" if self.refunded else None)


@pytest.fixture
def console() -> FakeConsole:
    return FakeConsole()


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "runs.db")


def guard_for(store: RunStore, console: FakeConsole) -> LedgerGuard:
    actions = {
        "pm.refund": ActionSpec("pm.refund", Effect.SIDE_EFFECT, console.refund, ("order_id",),
                                (), ("order_id", "refund_ref", "already_done"), "",
                                "pm.read_transaction", "probe.refunded"),
        "pm.read_transaction": ActionSpec("pm.read_transaction", Effect.READ, console.read,
                                          ("order_id",), (), ("order_id", "refunded",
                                                              "refund_ref"), ""),
    }
    return LedgerGuard(store, actions, lambda spec, args: spec.func(None, **args))


def refund(guard: LedgerGuard, confirmation: str | None = None) -> dict[str, Any]:
    return guard.run(guard.actions["pm.refund"], {"order_id": "ORD-1"}, ticket="T-1",
                     run_id="run-1", order_key="ORD-1", confirmation=confirmation)


def test_first_refund_reads_then_clicks_once(store: RunStore, console: FakeConsole) -> None:
    guard = guard_for(store, console)
    assert refund(guard) == {"order_id": "ORD-1", "refund_ref": "RF-1", "already_done": False}
    assert console.calls == ["read", "refund"]
    again = refund(guard)
    assert again["refund_ref"] == "RF-1"
    assert console.clicks == 1 and console.calls == ["read", "refund"]
    entry = store.ledger_get("T-1", "pm.refund", "ORD-1")
    assert entry is not None and entry.status is LedgerStatus.CONFIRMED


def test_refunded_elsewhere_is_not_clicked(store: RunStore, console: FakeConsole) -> None:
    console.refunded = True
    outputs = refund(guard_for(store, console))
    assert outputs["already_done"] is True and console.clicks == 0


def test_crash_after_the_click_is_confirmed_from_the_console(store: RunStore,
                                                             console: FakeConsole) -> None:
    console.fail_with, console.fail_after_effect = ConsoleError("lost answer"), True
    guard = guard_for(store, console)
    with pytest.raises(ConsoleError):
        refund(guard)
    entry = store.ledger_get("T-1", "pm.refund", "ORD-1")
    assert entry is not None and entry.status is LedgerStatus.ATTEMPTING
    console.fail_with = None
    outputs = refund(guard)
    assert outputs == {"order_id": "ORD-1", "refund_ref": "RF-1", "already_done": False}
    assert console.clicks == 1
    entry = store.ledger_get("T-1", "pm.refund", "ORD-1")
    assert entry is not None and entry.evidence["source"] == "console_after_crash"


def test_unknown_attempt_asks_a_person_before_any_retry(store: RunStore,
                                                        console: FakeConsole) -> None:
    console.fail_with = ConsoleError("timeout before the click")
    guard = guard_for(store, console)
    with pytest.raises(ConsoleError):
        refund(guard)
    console.fail_with = None
    with pytest.raises(NeedsConfirmation):
        refund(guard)
    with pytest.raises(NeedsConfirmation):
        refund(guard, confirmation="maybe")
    assert console.clicks == 0
    assert refund(guard, confirmation="retry")["refund_ref"] == "RF-1"
    assert console.clicks == 1


def test_a_person_can_confirm_it_happened(store: RunStore, console: FakeConsole) -> None:
    console.fail_with = ConsoleError("timeout")
    guard = guard_for(store, console)
    with pytest.raises(ConsoleError):
        refund(guard)
    console.fail_with = None
    refund(guard, confirmation="done")
    assert console.clicks == 0
    entry = store.ledger_get("T-1", "pm.refund", "ORD-1")
    assert entry is not None and entry.evidence["source"] == "confirmed_by_person"


def test_a_refusal_abandons_the_attempt_so_a_later_one_may_click(store: RunStore,
                                                                 console: FakeConsole) -> None:
    console.fail_with = BusinessError("issued", code="refund_not_allowed")
    guard = guard_for(store, console)
    with pytest.raises(BusinessError):
        refund(guard)
    entry = store.ledger_get("T-1", "pm.refund", "ORD-1")
    assert entry is not None and entry.status is LedgerStatus.ABANDONED
    console.fail_with = None
    assert refund(guard)["already_done"] is False
    assert console.clicks == 1
