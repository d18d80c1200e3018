"""Recovery without a browser: a captcha-like challenge (expiry, verdicts, tries), an answer lost
in an interruption, and console failures retried with backoff until an alert."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from runner.actions import NOT_CLICKED, ActionSpec, Effect
from runner.clock import FixedClock
from runner.config import load_config
from runner.config.retry import RetryPolicy
from runner.error_codes import ErrorCode
from runner.errors import ConfigError, ConsoleError, InputError
from runner.store.ledger import LedgerStatus
from tests.unit.stand_in_run import stand_in_executor

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@dataclass
class Gate:
    """A console with a challenge: each image has an answer; requests need the current one."""

    images: int = 0
    fail_read: bool = False
    fail_before_click: bool = False
    requests: list[str] = field(default_factory=list)

    @property
    def answer(self) -> str:
        return f"{self.images:05d}"


@dataclass
class Image:
    image_path: str
    purchased_at: str = (NOW - timedelta(days=3)).isoformat()


@dataclass
class Done:
    done: bool


def catalogue(gate: Gate) -> dict[str, ActionSpec]:
    def read(ctx: Any, domain: str) -> Image:
        if gate.fail_read:
            raise ConsoleError("down", code=ErrorCode.CONSOLE_UNAVAILABLE, page="gate")
        gate.images += 1
        return Image(f"/tmp/image-{gate.images}.png")

    def status(ctx: Any, domain: str) -> Done:
        return Done(False)

    def request(ctx: Any, domain: str, answer: str) -> Done:
        if gate.fail_before_click:
            raise ConsoleError("down before the click", code=ErrorCode.CONSOLE_UNAVAILABLE,
                               **{NOT_CLICKED: True})
        if answer != gate.answer:
            raise InputError("wrong", code=ErrorCode.CAPTCHA_INCORRECT)
        gate.requests.append(answer)
        return Done(True)

    specs = [
        ActionSpec("gate.read", Effect.READ, read, ("domain",), (),
                   ("image_path", "purchased_at"), ""),
        ActionSpec("gate.status", Effect.READ, status, ("domain",), (), ("done",), ""),
        ActionSpec("gate.request", Effect.SIDE_EFFECT, request, ("domain", "answer"), (),
                   ("done", "already_done"), "", "gate.status",
                   raises=frozenset({ErrorCode.CAPTCHA_INCORRECT, ErrorCode.CAPTCHA_EXPIRED})),
    ]
    return {s.name: s for s in specs}


FLOW = """
name: challenge
inputs:
  domain: {required: true}
  answer: {required: false}
steps:
  - id: image
    action: gate.read
    with: {domain: "${inputs.domain}"}
  - id: window
    gate: refund_window
    purchased_at: "${image.purchased_at}"
  - id: answer
    ask: answer
    prompt: Read the image
    artifact: "${image.image_path}"
    expires_in: 5m
    renew: image
    tries: 3
  - id: request
    action: gate.request
    with: {domain: "${inputs.domain}", answer: "${inputs.answer}"}
    key: "${inputs.domain}"
    on_error: {captcha_incorrect: image, captcha_expired: image}
  - id: done
    end: requested
"""


@pytest.fixture
def world(tmp_path: Path) -> Any:
    gate = Gate()
    clock = FixedClock(NOW)
    flow, store, executor = stand_in_executor(tmp_path, clock, catalogue(gate), FLOW,
                                              retries=RetryPolicy(attempts=3))
    yield gate, clock, flow, store, executor
    store.close()


def test_the_question_says_when_it_expires_and_what_became_of_the_last_answer(
        world: Any) -> None:
    gate, clock, flow, store, executor = world
    asked = executor.start(flow, "T-1", {"domain": "a.example"})
    action = asked.next_action
    assert action.expires_at == (NOW + timedelta(minutes=5)).isoformat()
    assert (action.previous_answer, action.tries_left) == (None, 3)

    wrong = executor.resume(store.get_run(asked.run_id), flow, {}, {"answer": "nope"})
    assert (wrong.next_action.previous_answer, wrong.next_action.tries_left) == ("rejected", 2)
    assert wrong.next_action.artifact == "/tmp/image-2.png"

    clock.advance(timedelta(minutes=6))
    late = executor.resume(store.get_run(asked.run_id), flow, {}, {"answer": gate.answer})
    assert (late.next_action.previous_answer, late.next_action.tries_left) == ("expired", 2)
    assert late.next_action.artifact == "/tmp/image-3.png" and gate.requests == []

    done = executor.resume(store.get_run(asked.run_id), flow, {}, {"answer": gate.answer})
    assert done.status == "succeeded" and gate.requests == [gate.answer]


def test_three_wrong_answers_stop_for_a_person_then_a_resume_asks_afresh(world: Any) -> None:
    gate, clock, flow, store, executor = world
    run_id = executor.start(flow, "T-2", {"domain": "a.example"}).run_id
    for _ in range(2):
        executor.resume(store.get_run(run_id), flow, {}, {"answer": "nope"})
    stopped = executor.resume(store.get_run(run_id), flow, {}, {"answer": "nope"})
    assert stopped.status == "failed"
    assert stopped.error["code"] == "answer_tries_exhausted"
    assert stopped.next_action.type == "check_order"
    assert "rejected 3 answers" in stopped.next_action.summary
    assert "nope" not in (stopped.customer_message or "")
    assert store.due_runs(NOW + timedelta(days=1)) == []

    again = executor.resume(store.get_run(run_id), flow, {})
    assert again.status == "needs_input" and again.next_action.tries_left == 3


def test_an_answer_lost_after_a_failure_before_the_click_brings_a_new_image(world: Any) -> None:
    gate, clock, flow, store, executor = world
    run_id = executor.start(flow, "T-3", {"domain": "a.example"}).run_id
    gate.fail_before_click = True
    failed = executor.resume(store.get_run(run_id), flow, {}, {"answer": gate.answer})
    assert failed.status == "failed" and failed.error["kind"] == "console"
    assert failed.next_action.command.inputs == {}  # no --input domain=... advice
    (entry,) = store.ledger.for_order("a.example")
    assert entry.status is LedgerStatus.ABANDONED

    gate.fail_before_click = False
    again = executor.resume(store.get_run(run_id), flow, {})  # the answer is gone
    assert again.status == "needs_input", again.error
    assert again.next_action.artifact == "/tmp/image-2.png"
    assert any(s.id == "request" and s.status == "retry" for s in again.steps)
    done = executor.resume(store.get_run(run_id), flow, {}, {"answer": gate.answer})
    assert done.status == "succeeded" and len(gate.requests) == 1


def test_console_failures_are_retried_when_due_then_alert(world: Any) -> None:
    gate, clock, flow, store, executor = world
    gate.fail_read = True
    failed = executor.start(flow, "T-4", {"domain": "a.example"})
    retry_after = datetime.fromisoformat(failed.error["retry_after"])
    assert NOW + timedelta(seconds=30) <= retry_after <= NOW + timedelta(seconds=60)
    assert failed.next_action.type == "retry_later" and failed.next_action.failures == 1
    assert store.due_runs(NOW) == []
    assert [r.run_id for r in store.due_runs(retry_after)] == [failed.run_id]

    clock.advance(retry_after - NOW)
    second = executor.resume(store.get_run(failed.run_id), flow, {})
    assert datetime.fromisoformat(second.error["retry_after"]) >= clock.now() + timedelta(
        seconds=60)
    third = executor.resume(store.get_run(failed.run_id), flow, {})
    assert third.next_action.type == "alert_console_down"
    assert third.next_action.summary.startswith("ALERT: gate failed 3 times")
    assert third.error["retries_exhausted"] is True
    assert store.due_runs(clock.now() + timedelta(days=30)) == []

    gate.fail_read = False
    assert executor.resume(store.get_run(failed.run_id), flow, {}).status == "needs_input"


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(attempts=10, first=timedelta(minutes=1), cap=timedelta(minutes=10))
    rng = random.Random(7)
    for failures, full in ((1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (40, 600)):
        delay = policy.delay(failures, rng).total_seconds()
        assert full / 2 <= delay <= full
    assert policy.exhausted(10) and not policy.exhausted(9)


@pytest.mark.parametrize("retries", [{"console_attempts": 0}, {"first_delay_s": "soon"},
                                     {"max_delay_s": 10, "first_delay_s": 60}, {"tries": 3}])
def test_retry_config_is_checked(tmp_path: Path, retries: dict[str, Any]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"retries: {retries}\n")
    with pytest.raises(ConfigError, match="retries"):
        load_config(path)
