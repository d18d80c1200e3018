"""The ledger guard's decisions, with a console made of plain Python (no browser needed):
every path that could click twice, within one run or across runs of other tickets for the same
order, is walked here; the end-to-end tests walk them for real."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from runner.actions import NOT_CLICKED, ActionSpec, Effect
from runner.engine.side_effects import (
    BusyElsewhere,
    LazyArgs,
    LedgerGuard,
    NeedsConfirmation,
    Unsettled,
)
from runner.errors import BusinessError, ConsoleError, DriftError, ErrorCode
from runner.store.ledger import LedgerEntry, LedgerStatus
from runner.store.runs import RunStore, default_owner


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
def store(store_target: str | Path) -> Iterator[RunStore]:
    with RunStore(store_target) as opened:
        yield opened


def guard_for(store: RunStore, console: FakeConsole, *, console_tells: bool = True,
              settle_after: timedelta = timedelta(0)) -> LedgerGuard:
    """``console_tells``: the probe says done or not (the Transaction page); without it the
    console keeps no trace (GeoTrust's access request). ``settle_after`` 0: an interrupted
    attempt is old enough to settle at once (see test_a_recent_attempt_waits_to_settle)."""
    actions = {
        "pm.refund": ActionSpec("pm.refund", Effect.SIDE_EFFECT, console.refund, ("order_id",),
                                (), ("order_id", "refund_ref", "already_done"), "",
                                "pm.read_transaction",
                                "probe.refunded" if console_tells else None),
        "pm.read_transaction": ActionSpec("pm.read_transaction", Effect.READ, console.read,
                                          ("order_id",), (), ("order_id", "refunded",
                                                              "refund_ref"), ""),
    }
    return LedgerGuard(store, actions, lambda spec, args: spec.func(None, **args),
                       settle_after=settle_after)


def refund(guard: LedgerGuard, confirmation: str | None = None, *, run_id: str = "run-1",
           ticket: str = "T-1", before_click: Any = None) -> dict[str, Any]:
    return guard.run(guard.actions["pm.refund"], {"order_id": "ORD-1"}, ticket=ticket,
                     run_id=run_id, order_key="ORD-1", confirmation=confirmation,
                     before_click=before_click)


def entry(store: RunStore) -> LedgerEntry:
    found = store.ledger.get("pm.refund", "ORD-1")
    assert found is not None
    return found


def test_first_refund_reads_then_clicks_once(store: RunStore, console: FakeConsole) -> None:
    guard = guard_for(store, console)
    assert refund(guard) == {"order_id": "ORD-1", "refund_ref": "RF-1", "already_done": False}
    assert console.calls == ["read", "refund"]
    again = refund(guard)
    assert again["refund_ref"] == "RF-1"
    assert console.clicks == 1 and console.calls == ["read", "refund"]
    assert entry(store).status is LedgerStatus.CONFIRMED


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
    assert entry(store).status is LedgerStatus.ATTEMPTING
    console.fail_with = None
    outputs = refund(guard)
    assert outputs == {"order_id": "ORD-1", "refund_ref": "RF-1", "already_done": False}
    assert console.clicks == 1
    assert entry(store).evidence["source"] == "console_after_crash"


def test_an_interrupted_attempt_the_console_can_tell_needs_no_person(
        store: RunStore, console: FakeConsole) -> None:
    """The Transaction page shows no refund after an attempt with an unknown fate: it never
    took, so it is made again (once), and the ledger says why."""
    console.fail_with = ConsoleError("timeout before the click")
    guard = guard_for(store, console)
    with pytest.raises(ConsoleError):
        refund(guard)
    interrupted_at = entry(store).attempted_at
    console.fail_with = None
    assert refund(guard)["refund_ref"] == "RF-1"
    assert console.clicks == 1
    settled = entry(store)
    assert settled.status is LedgerStatus.CONFIRMED and settled.attempted_at >= interrupted_at
    assert refund(guard)["already_done"] is False and console.clicks == 1


def test_a_recent_attempt_waits_to_settle_then_needs_no_person(store: RunStore,
                                                               console: FakeConsole) -> None:
    """An answer to a click may still be on its way for a while (a process killed mid-POST):
    until then the run looks again later, still asking nobody."""
    console.fail_with = ConsoleError("killed mid-click")
    guard = guard_for(store, console, settle_after=timedelta(minutes=5))
    with pytest.raises(ConsoleError):
        refund(guard)
    console.fail_with = None
    with pytest.raises(Unsettled) as caught:
        refund(guard)
    assert caught.value.settles_at == entry(store).attempted_at + timedelta(minutes=5)
    assert console.clicks == 0 and entry(store).status is LedgerStatus.ATTEMPTING
    guard.now = lambda: caught.value.settles_at  # type: ignore[method-assign]
    assert refund(guard)["already_done"] is False and console.clicks == 1


def test_an_unknown_attempt_the_console_cannot_tell_asks_a_person(
        store: RunStore, console: FakeConsole) -> None:
    console.fail_with = ConsoleError("timeout before the click")
    guard = guard_for(store, console, console_tells=False)
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


def test_a_console_failing_before_the_click_leaves_no_attempt(store: RunStore,
                                                              console: FakeConsole) -> None:
    """The probe reads the page the click happens on (a renamed Refund button is drift
    there): no intent is written, and a resume after the fix just refunds."""
    def drifted(_ctx: object, order_id: str) -> Shown:
        raise DriftError(f"the Refund button of {order_id} matched nothing",
                         code=ErrorCode.LOCATOR_MISSING)

    broken = guard_for(store, console, settle_after=timedelta(hours=1))
    broken.actions = {**broken.actions, "pm.read_transaction": replace(
        broken.actions["pm.read_transaction"], func=drifted)}
    with pytest.raises(DriftError) as caught:
        refund(broken)
    assert caught.value.context[NOT_CLICKED] is True
    assert store.ledger.get("pm.refund", "ORD-1") is None and console.clicks == 0
    fixed = guard_for(store, console, settle_after=timedelta(hours=1))
    assert refund(fixed)["already_done"] is False and console.clicks == 1


def test_a_page_failing_before_its_click_abandons_with_evidence(store: RunStore,
                                                                console: FakeConsole) -> None:
    console.fail_with = DriftError("no Refund button", code=ErrorCode.LOCATOR_MISSING,
                                   **{NOT_CLICKED: True})
    guard = guard_for(store, console, settle_after=timedelta(hours=1))
    with pytest.raises(DriftError):
        refund(guard)
    abandoned = entry(store)
    assert abandoned.status is LedgerStatus.ABANDONED
    assert abandoned.evidence["not_clicked"] == "locator_missing"
    console.fail_with = None
    assert refund(guard)["already_done"] is False and console.clicks == 1


def test_a_person_can_confirm_it_happened(store: RunStore, console: FakeConsole) -> None:
    console.fail_with = ConsoleError("timeout")
    guard = guard_for(store, console)
    with pytest.raises(ConsoleError):
        refund(guard)
    console.fail_with = None
    refund(guard, confirmation="done")
    assert console.clicks == 0
    assert entry(store).evidence["source"] == "confirmed_by_person"


def test_a_refusal_abandons_the_attempt_so_a_later_one_may_click(store: RunStore,
                                                                 console: FakeConsole) -> None:
    console.fail_with = BusinessError("issued", code="refund_not_allowed")
    guard = guard_for(store, console)
    with pytest.raises(BusinessError):
        refund(guard)
    assert entry(store).status is LedgerStatus.ABANDONED
    console.fail_with = None
    assert refund(guard)["already_done"] is False
    assert console.clicks == 1


# Across runs: the ledger row belongs to the order, not to the ticket.

def run_of(store: RunStore, ticket: str, *, alive: bool) -> str:
    """A run of ``ticket`` in the store; ``alive``: a live process holds its lease."""
    run = store.create_run(ticket, "cancel_refund").run
    owner = default_owner() if alive else "gone-host:1:abc"
    store.acquire_lease(run.run_id, owner, timedelta(minutes=5 if alive else -1))
    return run.run_id


def interrupted(store: RunStore, console: FakeConsole, *, alive: bool,
                clicked: bool) -> tuple[LedgerGuard, str]:
    """A first ticket's refund whose answer was lost (console error), clicked or not."""
    first = run_of(store, "T-1", alive=alive)
    console.fail_with, console.fail_after_effect = ConsoleError("lost answer"), clicked
    guard = guard_for(store, console)
    with pytest.raises(ConsoleError):
        refund(guard, run_id=first)
    console.fail_with = None
    return guard, first


def test_a_second_ticket_finds_the_first_refund_confirmed(store: RunStore,
                                                          console: FakeConsole) -> None:
    guard = guard_for(store, console)
    first = refund(guard, run_id=run_of(store, "T-1", alive=True))
    second = refund(guard, run_id=run_of(store, "T-2", alive=True), ticket="T-2")
    assert first["already_done"] is False and second["already_done"] is True
    assert second["refund_ref"] == "RF-1"
    assert console.clicks == 1 and console.calls == ["read", "refund"]  # not even read again


def test_another_live_run_mid_click_makes_this_one_wait(store: RunStore,
                                                        console: FakeConsole) -> None:
    guard, first = interrupted(store, console, alive=True, clicked=False)
    with pytest.raises(BusyElsewhere) as caught:
        refund(guard, "retry", run_id=run_of(store, "T-2", alive=True), ticket="T-2")
    assert (caught.value.run_id, caught.value.ticket) == (first, "T-1")
    assert console.clicks == 0
    assert entry(store).run_id == first


def test_another_runs_refund_seen_on_the_console_is_done_for_both(store: RunStore,
                                                                  console: FakeConsole) -> None:
    guard, first = interrupted(store, console, alive=True, clicked=True)
    second = refund(guard, run_id=run_of(store, "T-2", alive=True), ticket="T-2")
    assert second["already_done"] is True and console.clicks == 1
    recorded = entry(store)
    assert recorded.status is LedgerStatus.CONFIRMED and recorded.run_id == first
    assert recorded.evidence["source"] == "console_after_other_run"
    assert refund(guard, run_id=first)["already_done"] is False  # the first run did it


def test_a_dead_runs_unknown_attempt_needs_a_person_and_one_taker(store: RunStore,
                                                                  console: FakeConsole) -> None:
    guard, first = interrupted(store, console, alive=False, clicked=False)
    guard = guard_for(store, console, console_tells=False)
    second, third = (run_of(store, t, alive=True) for t in ("T-2", "T-3"))
    with pytest.raises(NeedsConfirmation) as caught:
        refund(guard, run_id=second, ticket="T-2")
    assert (caught.value.run_id, caught.value.ticket) == (first, "T-1")
    stale = entry(store)
    assert refund(guard, "retry", run_id=second, ticket="T-2")["already_done"] is False
    assert console.clicks == 1 and entry(store).run_id == second
    assert store.ledger.take_over(stale, run_id=third, ticket="T-3") is None
    assert refund(guard, "retry", run_id=third, ticket="T-3")["already_done"] is True
    assert console.clicks == 1


def test_a_dead_runs_attempt_the_console_settles_has_one_taker(store: RunStore,
                                                               console: FakeConsole) -> None:
    guard, first = interrupted(store, console, alive=False, clicked=False)
    second, third = (run_of(store, t, alive=True) for t in ("T-2", "T-3"))
    stale = entry(store)
    assert refund(guard, run_id=second, ticket="T-2")["already_done"] is False
    assert console.clicks == 1
    taken = entry(store)
    assert taken.run_id == second and taken.evidence["source"] == "page_confirmation"
    assert store.ledger.take_over(stale, run_id=third, ticket="T-3") is None
    assert refund(guard, run_id=third, ticket="T-3")["already_done"] is True
    assert console.clicks == 1


# The refund window is checked right before a click, after the ledger and the console.

class WindowClosed(Exception):
    pass


def closed_window() -> None:
    raise WindowClosed


def test_a_refund_seen_after_a_crash_is_done_even_past_the_window(store: RunStore,
                                                                  console: FakeConsole) -> None:
    guard, first = interrupted(store, console, alive=False, clicked=True)
    outputs = refund(guard, run_id=first, before_click=closed_window)
    assert outputs["already_done"] is False and outputs["refund_ref"] == "RF-1"
    assert console.clicks == 1
    again = refund(guard, run_id=first, before_click=closed_window)  # from the ledger
    assert again["refund_ref"] == "RF-1"


def test_a_closed_window_stops_the_click_and_frees_the_order(store: RunStore,
                                                             console: FakeConsole) -> None:
    guard = guard_for(store, console)
    with pytest.raises(WindowClosed):
        refund(guard, before_click=closed_window)
    assert console.clicks == 0 and console.calls == ["read"]
    assert entry(store).status is LedgerStatus.ABANDONED
    assert refund(guard, run_id="run-2", ticket="T-2")["already_done"] is False
    assert console.clicks == 1


def test_a_done_effect_needs_none_of_its_arguments(store: RunStore, console: FakeConsole) -> None:
    """A paused run resumed without its one-time captcha answer still learns it is done."""
    guard = guard_for(store, console)
    refund(guard, run_id=run_of(store, "T-1", alive=True))

    def gone(_template: object) -> object:
        raise AssertionError("an argument was rendered")

    args = LazyArgs({"order_id": "${inputs.gone}"}, gone)
    outputs = guard.run(guard.actions["pm.refund"], args, ticket="T-2", order_key="ORD-1",
                        run_id=run_of(store, "T-2", alive=True))
    assert outputs["already_done"] is True and console.clicks == 1


def test_a_run_that_finishes_while_another_looks_is_seen_as_done(store: RunStore,
                                                                 console: FakeConsole) -> None:
    """The race seen with four tickets at once on a busy machine: the second run reads the
    first one's open attempt and a console without the refund; before it asks whether that run
    still works, the first clicks, confirms and lets its lease go. Not a person's question:
    the refund is done."""
    owner = default_owner()
    first = store.create_run("T-1", "cancel_refund").run.run_id
    store.acquire_lease(first, owner, timedelta(minutes=5))
    store.ledger.begin("pm.refund", "ORD-1", run_id=first, ticket="T-1")
    second = run_of(store, "T-2", alive=True)
    read = console.read

    def read_then_the_first_run_finishes(ctx: object, order_id: str) -> Shown:
        shown = read(ctx, order_id)
        if not console.refunded:
            console.refunded, console.clicks = True, console.clicks + 1
            store.ledger.confirm("pm.refund", "ORD-1", {"outputs": {
                "order_id": "ORD-1", "refund_ref": "RF-1", "already_done": False},
                "source": "clicked"})
            store.release_lease(first, owner)
        return shown

    console.read = read_then_the_first_run_finishes  # type: ignore[method-assign]
    outputs = refund(guard_for(store, console), run_id=second, ticket="T-2")
    assert outputs == {"order_id": "ORD-1", "refund_ref": "RF-1", "already_done": True}
    assert console.clicks == 1
    assert entry(store).run_id == first and entry(store).status is LedgerStatus.CONFIRMED
