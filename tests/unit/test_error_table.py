"""One table: error code -> kind -> next action -> exit code, and the customer text with them.

Every code of docs/errors.md is produced here by a run (the executor over a stand-in action that
fails with it, and the real store), and its answer is checked as a whole: the kind and next action
the catalogue names, the exit code the kind fixes, a command only where a resume goes on, and a
customer text true for that next action (tests/unit/customer_truth.py). The catalogue itself
refuses a pairing that disagrees (a business failure whose next action lets the run go on).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from runner.actions import ActionSpec, Effect
from runner.clock import FixedClock
from runner.engine import texts
from runner.engine.result import RunResult
from runner.error_codes import (
    EXIT_BY_KIND,
    NEXT_OF_KIND,
    PERSON_TASKS,
    ErrorCode,
    ExitCode,
    Kind,
    NextType,
    check_pairing,
    exit_code,
)
from runner.errors import RunnerError
from tests.unit.customer_truth import problems
from tests.unit.stand_in_run import stand_in_executor

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DOMAIN = "shop.example"
FLOW = """
    name: fails
    inputs:
      domain: {required: true}
    steps:
      - id: order
        action: test.fail
        with: {domain: "${inputs.domain}"}
      - id: done
        end: done
"""
# What a few codes carry when they are raised (the engine's own sites add it).
CONTEXT: dict[ErrorCode, dict[str, Any]] = {
    ErrorCode.ANSWER_TRIES_EXHAUSTED: {"input": "image_number", "rejected": 3},
    ErrorCode.CUSTOMER_DID_NOT_CANCEL: {"deadline": "2026-04-09T09:00:00+00:00"},
    ErrorCode.WAIT_DEADLINE_PASSED: {"deadline": "2026-04-09T09:00:00+00:00"},
}


def failed_run(tmp_path: Path, code: ErrorCode, attempts: int = 1) -> RunResult:
    """A run whose one step fails with ``code`` (``attempts`` times, resumed in between)."""

    def fail(_ctx: Any, domain: str) -> None:
        raise RunnerError(f"{code} for {domain}", code, dict(CONTEXT.get(code, {})))

    actions = {"test.fail": ActionSpec("test.fail", Effect.READ, fail, ("domain",), (), (), "",
                                       raises=frozenset(ErrorCode))}
    clock = FixedClock(NOW)
    flow, store, executor = stand_in_executor(tmp_path, clock, actions, FLOW)
    try:
        result = executor.start(flow, "T-1", {"domain": DOMAIN})
        for _ in range(attempts - 1):
            result = executor.resume(store.get_run(str(result.run_id)), flow, {})
        return result
    finally:
        store.close()


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_each_code_answers_with_its_kind_next_action_exit_code_and_a_true_text(
        tmp_path: Path, code: ErrorCode) -> None:
    result = failed_run(tmp_path, code)
    assert (result.status, result.outcome) == ("failed", str(code))
    assert result.error is not None
    assert (result.error["code"], result.error["kind"]) == (str(code), str(code.kind))
    assert result.next_action is not None
    assert result.next_action.type is code.next_type
    assert result.exit_code == EXIT_BY_KIND[code.kind] == code.exit_code
    assert result.exit_code == (ExitCode.USAGE if code.kind is Kind.INPUT else ExitCode.FAILED)
    # A command only where a resume lets the run go on; never where retrying will not help.
    assert (result.next_action.command is not None) == code.next_type.goes_on
    assert problems(result.customer_message, result.status, result.next_action.type) == []
    assert result.customer_message == texts.customer_failure(
        RunnerError("", code, dict(CONTEXT.get(code, {}))), DOMAIN)


def test_a_console_failing_on_every_retry_is_a_persons_task_and_says_no_more(
        tmp_path: Path) -> None:
    result = failed_run(tmp_path, ErrorCode.CONSOLE_TIMEOUT, attempts=5)
    assert result.next_action is not None
    assert result.next_action.type is NextType.ALERT_CONSOLE_DOWN
    assert result.exit_code == ExitCode.FAILED and result.customer_message == (
        texts.CUSTOMER_CONSOLE_DOWN)
    assert problems(result.customer_message, result.status, result.next_action.type) == []
    assert "told" not in texts.CUSTOMER_CONSOLE_DOWN


def test_no_code_whose_next_action_lets_the_run_go_on_is_business() -> None:
    for code in ErrorCode:
        assert code.next_type in NEXT_OF_KIND[code.kind], code
        assert code.next_type.goes_on is (code.kind is not Kind.BUSINESS), code


def test_three_wrong_answers_are_input_for_a_person_then_the_run_goes_on() -> None:
    code = ErrorCode.ANSWER_TRIES_EXHAUSTED
    assert (code.kind, code.next_type, code.exit_code) == (Kind.INPUT, NextType.CHECK_ORDER,
                                                           ExitCode.USAGE)
    assert code.next_type.goes_on and code.next_type in PERSON_TASKS


def test_the_orders_a_person_checks_land_in_the_inbox() -> None:
    for code in (ErrorCode.COMMON_NAME_MISMATCH, ErrorCode.ADMIN_EMAIL_MISSING):
        assert (code.kind, code.next_type) == (Kind.BUSINESS, NextType.REVIEW_ORDER)
        assert code.next_type.person_task and not code.next_type.goes_on


@pytest.mark.parametrize(("kind", "next_type"), [
    (Kind.BUSINESS, NextType.CHECK_ORDER), (Kind.BUSINESS, NextType.RETRY_LATER),
    (Kind.INPUT, NextType.TELL_CUSTOMER), (Kind.DRIFT, NextType.RETRY_LATER),
    (Kind.CONSOLE, NextType.REVIEW_ORDER)])
def test_the_catalogue_refuses_a_kind_and_next_action_that_disagree(
        kind: Kind, next_type: NextType) -> None:
    with pytest.raises(TypeError, match="cannot have next action"):
        check_pairing("made_up", kind, next_type)


def test_paused_and_queued_runs_exit_3_and_finished_ones_0() -> None:
    for status in ("waiting", "needs_input", "running", "queued"):
        assert exit_code(status) == ExitCode.PAUSED
    for status in ("succeeded", "denied", "abandoned"):
        assert exit_code(status) == ExitCode.FINISHED


def test_every_failure_for_a_person_is_in_the_inbox() -> None:
    """The inbox (runner.app.inbox) shows a failed run whose next action is a person's task;
    the catalogue says which those are, so a new one cannot be left out."""
    from runner.app.inbox import FAILED_FOR_A_PERSON

    failing = {code.next_type for code in ErrorCode} | {NextType.ALERT_CONSOLE_DOWN}
    assert {t for t in failing if t.person_task} == set(FAILED_FOR_A_PERSON)


@pytest.mark.parametrize("code", [ErrorCode.COMMON_NAME_MISMATCH, ErrorCode.ANSWER_TRIES_EXHAUSTED,
                                  ErrorCode.LOCATOR_MISSING], ids=str)
def test_a_failure_for_a_person_is_notified_and_one_for_nobody_is_not(
        tmp_path: Path, code: ErrorCode) -> None:
    from runner.app.notify import notice_for

    failed = failed_run(tmp_path, code)
    notice = notice_for(failed, "http://console.invalid")
    assert notice is not None and str(code) in notice.text
    (tmp_path / "other").mkdir()
    business = failed_run(tmp_path / "other", ErrorCode.REFUND_NOT_ALLOWED)
    assert notice_for(business, "http://console.invalid") is None  # support tells the customer
