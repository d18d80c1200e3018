"""The executor's loop and step kinds without a browser: stand-in actions, the real store.

The actions here are plain functions over an in-memory "console", so these tests show the loop,
the gate known from the flow, the texts and the ledger working together in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from runner.actions import ActionSpec, Effect
from runner.clock import FixedClock
from runner.engine.next_action import ProvideInput, Verb, Wait
from runner.error_codes import ErrorCode
from tests.unit.stand_in_run import stand_in_executor

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@dataclass
class Console:
    purchased_at: datetime = NOW - timedelta(days=10)
    state: str = "issued"
    refunds: list[str] = field(default_factory=list)


@dataclass
class Order:
    order_id: str
    purchased_at: str
    state: str


@dataclass
class Receipt:
    refund_ref: str


@dataclass
class Transaction:
    refunded: bool
    refund_ref: str | None


def catalogue(console: Console) -> dict[str, ActionSpec]:
    def find(ctx: Any, domain: str) -> Order:
        return Order("O-1", console.purchased_at.isoformat(), console.state)

    def read(ctx: Any, order_id: str) -> Transaction:
        return Transaction(bool(console.refunds), console.refunds[-1] if console.refunds else None)

    def refund(ctx: Any, order_id: str) -> Receipt:
        console.refunds.append(f"R-{len(console.refunds) + 1}")
        return Receipt(console.refunds[-1])

    specs = [
        ActionSpec("pm.find_order", Effect.READ, find, ("domain",), (),
                   ("order_id", "purchased_at", "state"), ""),
        ActionSpec("pm.read_transaction", Effect.READ, read, ("order_id",), (),
                   ("refunded", "refund_ref"), ""),
        ActionSpec("pm.refund", Effect.SIDE_EFFECT, refund, ("order_id",), (),
                   ("refund_ref", "already_done"), "", "pm.read_transaction",
                   "probe.refunded", moves_money=True),
    ]
    return {s.name: s for s in specs}


FLOW = """
name: wait_then_refund
inputs:
  domain: {required: true}
  note: {required: false}
steps:
  - id: order
    action: pm.find_order
    with: {domain: "${inputs.domain}"}
  - id: window
    gate: refund_window
    purchased_at: "${order.purchased_at}"
  - id: note
    ask: note
    prompt: Type anything
  - id: cancelled
    wait: pm.find_order
    with: {domain: "${inputs.domain}"}
    until: "cancelled.state == 'cancelled'"
    every: 1d
    deadline: 60d
    timeout_code: customer_did_not_cancel
    waiting_for: the customer to cancel
  - id: refund
    action: pm.refund
    with: {order_id: "${order.order_id}"}
    key: "${order.order_id}"
  - id: done
    end: refunded
    message: "Order ${order.order_id} for ${inputs.domain} is refunded."
"""


@pytest.fixture
def world(tmp_path: Path) -> Any:
    console = Console()
    clock = FixedClock(NOW)
    flow, store, executor = stand_in_executor(tmp_path, clock, catalogue(console), FLOW)
    yield console, clock, flow, store, executor
    store.close()


def test_pauses_speak_to_the_customer_and_commands_are_data(world: Any) -> None:
    console, clock, flow, store, executor = world
    asked = executor.start(flow, "T-1; touch /tmp/x #", {"domain": "shop.example"})
    assert asked.status == "needs_input"
    assert isinstance(asked.next_action, ProvideInput)
    command = asked.next_action.command
    assert command is not None and command.verb is Verb.RESUME
    assert dict(command.inputs) == {"note": "<VALUE>"}
    assert asked.customer_message and "shop.example" in asked.customer_message
    assert asked.run_id and asked.run_id not in asked.customer_message

    run = store.get_run(asked.run_id)
    waiting = executor.resume(run, flow, {"note": "x"})
    assert waiting.status == "waiting"
    assert isinstance(waiting.next_action, Wait)
    # The wait's deadline is capped by the gate the flow declares: 30 days after purchase.
    assert waiting.next_action.deadline == (console.purchased_at + timedelta(days=30)).isoformat()
    assert waiting.customer_message and "30 March 2026" in waiting.customer_message
    assert waiting.to_dict()["customer_message"] == waiting.customer_message


def test_the_window_is_checked_again_before_the_refund(world: Any) -> None:
    console, clock, flow, store, executor = world
    first = executor.start(flow, "T-2", {"domain": "shop.example", "note": "x"})
    assert first.status == "waiting"
    console.state = "cancelled"
    clock.advance(timedelta(days=25))  # past the window's end (purchase + 30 days)
    late = executor.resume(store.get_run(first.run_id), flow, {})
    assert (late.status, late.outcome) == ("denied", "refund_window_expired")
    assert console.refunds == []
    assert late.customer_message and "30 days" in late.customer_message
    assert late.next_action is not None and late.next_action.command is not None
    assert late.next_action.command.flow == "cancel_only"


def test_outputs_that_look_like_a_gate_are_not_a_gate(world: Any) -> None:
    """Only the flow says which gate guards a refund; a step's outputs never do."""
    console, clock, flow, store, executor = world
    first = executor.start(flow, "T-3", {"domain": "shop.example", "note": "x"})
    run = store.get_run(first.run_id)
    run.context["steps"]["fake"] = {"enforced": True,
                                    "purchased_at": (NOW - timedelta(days=90)).isoformat()}
    console.state = "cancelled"
    done = executor.resume(run, flow, {})
    assert (done.status, done.outcome) == ("succeeded", "refunded")
    assert done.customer_message == "Order O-1 for shop.example is refunded."
    assert console.refunds == ["R-1"]


def test_the_wait_deadline_tells_the_customer_in_a_sentence(world: Any) -> None:
    console, clock, flow, store, executor = world
    first = executor.start(flow, "T-4", {"domain": "shop.example", "note": "x"})
    clock.advance(timedelta(days=21))
    failed = executor.resume(store.get_run(first.run_id), flow, {})
    assert failed.status == "failed"
    assert failed.error and failed.error["code"] == ErrorCode.CUSTOMER_DID_NOT_CANCEL
    assert "[step=" in failed.error["message"]  # the detail stays for the agent
    message = failed.customer_message or ""
    assert message.startswith("We did not see your certificate for shop.example cancelled")
    assert "30 March 2026" in message
    for internal in ("customer_did_not_cancel", "step", "Traceback", failed.run_id or "-"):
        assert internal not in message
    assert failed.exit_code == 1
