"""``unless_done`` when the run that sends the access request finishes while this one looks.

The second ticket's run reads the ledger row of the order's access request: another run is
attempting it. Before it asks whether that run still works, the other confirms the request and
lets its lease go. Seen as "not working, not confirmed", the captcha would be read and a person
asked for its number, for a request already sent; the step reads the row again instead. Stand-in
actions and the real store (``tests.unit.stand_in_run``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from runner.actions import ActionSpec, Effect
from runner.clock import FixedClock
from runner.store.ledger import LedgerStatus
from runner.store.runs import default_owner
from tests.unit.stand_in_run import stand_in_executor

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ACCESS = "geotrust.request_access"


@dataclass
class Console:
    captchas_read: int = 0
    requests: list[str] = field(default_factory=list)


@dataclass
class Order:
    order_id: str
    purchased_at: str


@dataclass
class Captcha:
    image_path: str


@dataclass
class AccessRequest:
    confirmation: str


@dataclass
class AccessStatus:
    known: bool
    requested: bool


def catalogue(console: Console) -> dict[str, ActionSpec]:
    def find(ctx: Any, domain: str) -> Order:
        return Order("O-1", (NOW - timedelta(days=3)).isoformat())

    def read_captcha(ctx: Any, order_id: str) -> Captcha:
        console.captchas_read += 1
        return Captcha("captcha.png")

    def status(ctx: Any, order_id: str) -> AccessStatus:
        return AccessStatus(known=False, requested=False)  # GeoTrust shows nothing

    def request(ctx: Any, order_id: str, image_number: str) -> AccessRequest:
        console.requests.append(order_id)
        return AccessRequest(f"A-{len(console.requests)}")

    specs = [
        ActionSpec("pm.find_order", Effect.READ, find, ("domain",), (),
                   ("order_id", "purchased_at"), ""),
        ActionSpec("geotrust.read_captcha", Effect.READ, read_captcha, ("order_id",), (),
                   ("image_path",), ""),
        ActionSpec("geotrust.access_status", Effect.READ, status, ("order_id",), (),
                   ("known", "requested"), ""),
        ActionSpec(ACCESS, Effect.SIDE_EFFECT, request, ("order_id", "image_number"), (),
                   ("confirmation", "already_done"), "", "geotrust.access_status"),
    ]
    return {s.name: s for s in specs}


FLOW = """
name: access_once
inputs:
  domain: {required: true}
  image_number: {required: false}
steps:
  - id: order
    action: pm.find_order
    with: {domain: "${inputs.domain}"}
  - id: window
    gate: refund_window
    purchased_at: "${order.purchased_at}"
  - id: captcha
    unless_done: access
    action: geotrust.read_captcha
    with: {order_id: "${order.order_id}"}
  - id: image_number
    unless_done: access
    ask: image_number
    prompt: Read the number in the captcha image
    artifact: "${captcha.image_path}"
  - id: access
    action: geotrust.request_access
    with: {order_id: "${order.order_id}", image_number: "${inputs.image_number}"}
    key: "${order.order_id}"
  - id: done
    end: access_requested
    message: "The access link for ${inputs.domain} is on its way."
"""


@pytest.fixture
def world(tmp_path: Path) -> Any:
    console = Console()
    flow, store, executor = stand_in_executor(tmp_path, FixedClock(NOW), catalogue(console),
                                              FLOW)
    yield console, flow, store, executor
    store.close()


def test_a_request_sent_while_this_run_looks_skips_the_captcha(
        world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    console, flow, store, executor = world
    owner = default_owner()
    first = store.create_run("T-1", "access_once").run.run_id
    store.acquire_lease(first, owner, timedelta(minutes=5))
    store.ledger.begin(ACCESS, "O-1", run_id=first, ticket="T-1")
    lease_alive = store.lease_alive

    def the_first_run_finishes_just_then(run_id: str) -> bool:
        if run_id == first and store.ledger.get(ACCESS, "O-1").status is not \
                LedgerStatus.CONFIRMED:
            store.ledger.confirm(ACCESS, "O-1", {"outputs": {
                "confirmation": "A-1", "already_done": False}, "source": "clicked"})
            store.release_lease(first, owner)
        return bool(lease_alive(run_id))

    monkeypatch.setattr(store, "lease_alive", the_first_run_finishes_just_then)
    second = executor.start(flow, "T-2", {"domain": "shop.example"})
    assert (second.status, second.outcome) == ("succeeded", "access_requested"), second.error
    assert console.captchas_read == 0, "a captcha was read for a request already sent"
    assert console.requests == []
    steps = {s["id"]: s["status"] for s in second.to_dict()["steps"]}
    assert steps["captcha"] == steps["image_number"] == "skipped"
