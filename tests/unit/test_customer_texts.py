"""Every customer text is true for its outcome: the shipped flows' own messages (ends and waits)
and the engine's texts for each status, held to the rules of tests/unit/customer_truth.py.

(Failures' texts, one per error code, are checked with their runs in test_error_table.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runner.engine import texts
from runner.engine.result import result_of
from runner.engine.window import expired_message
from runner.error_codes import ErrorCode, NextType, lookup
from runner.language.model import EndStatus, EndStep, WaitStep
from runner.language.validate import load_flow
from runner.shipped import FLOWS_DIR
from runner.store.runs import RunStatus, RunStore
from tests.unit.customer_truth import problems

DOMAIN = "shop.example"
WHEN = datetime(2026, 4, 9, 12, 0, tzinfo=UTC)
FLOW_FILES = sorted(FLOWS_DIR.glob("*.yaml"))


def _messages() -> list[tuple[str, str, str, NextType | None, str]]:
    """(flow:step, status, text, next action type, outcome) for every message a flow holds."""
    found = []
    for path in FLOW_FILES:
        for step in load_flow(path).steps:
            where = f"{path.stem}:{step.id}"
            if isinstance(step, EndStep) and step.message:
                if step.status is EndStatus.FAILED:
                    code = lookup(step.outcome)
                    assert code is not None, where
                    found.append((where, "failed", step.message, code.next_type, step.outcome))
                else:
                    found.append((where, step.status.value, step.message, None, step.outcome))
            if isinstance(step, WaitStep) and step.message:
                found.append((where, "waiting", step.message, NextType.WAIT, "(waiting)"))
    return found


@pytest.mark.parametrize(("where", "status", "text", "next_type", "outcome"), _messages(),
                         ids=lambda v: v if isinstance(v, str) and ":" in v else "")
def test_each_flow_message_is_true_for_its_outcome(where: str, status: str, text: str,
                                                   next_type: NextType | None,
                                                   outcome: str) -> None:
    assert problems(text, status, next_type) == [], where


def test_a_flow_promises_a_persons_check_only_where_a_person_checks() -> None:
    promising = {outcome for _, _, text, _, outcome in _messages() if "our team" in text}
    assert promising == {"common_name_mismatch", "admin_email_missing"}
    for outcome in promising:
        assert ErrorCode(outcome).next_type.person_task


ENGINE_TEXTS = [
    ("finished", "succeeded", texts.customer_finished(DOMAIN), None),
    ("dry_run", "succeeded", texts.customer_dry_run(DOMAIN), NextType.WOULD_DO),
    ("captcha", "needs_input", texts.customer_in_progress(DOMAIN), NextType.PROVIDE_INPUT),
    ("confirm", "needs_input", texts.customer_in_progress(DOMAIN),
     NextType.CONFIRM_SIDE_EFFECT),
    ("other_run", "waiting", texts.customer_in_progress(DOMAIN), NextType.WAIT),
    ("held", "running", texts.customer_in_progress(DOMAIN), NextType.WAIT_FOR_OTHER_PROCESS),
    ("wait", "waiting", texts.customer_waiting(DOMAIN, WHEN), NextType.WAIT),
    ("abandoned", "abandoned", texts.customer_abandoned(DOMAIN), None),
    ("denied", "denied", expired_message(WHEN - timedelta(days=40), WHEN - timedelta(days=10),
                                         timedelta(days=30)), NextType.OFFER_CANCEL_ONLY),
    ("console_down", "failed", texts.CUSTOMER_CONSOLE_DOWN, NextType.ALERT_CONSOLE_DOWN),
]


@pytest.mark.parametrize(("name", "status", "text", "next_type"), ENGINE_TEXTS,
                         ids=[t[0] for t in ENGINE_TEXTS])
def test_each_engine_text_is_true_for_its_outcome(name: str, status: str, text: str,
                                                  next_type: NextType | None) -> None:
    assert problems(text, status, next_type) == []


def test_the_rules_catch_the_texts_this_round_found_untrue() -> None:
    """The checker fails the old answers: an abandoned run "working on" it, a drift "our team
    has been told", a common name mismatch "our team is checking" with a tell_customer."""
    assert problems(texts.customer_in_progress(DOMAIN), "abandoned", None)
    assert problems("We ran into a technical problem. Our team has been told and will update "
                    "you.", "failed", NextType.ALERT_MAINTAINERS)
    assert problems("Our team is checking the order and will get back to you.", "failed",
                    NextType.TELL_CUSTOMER)


def test_an_abandoned_run_promises_nothing_whatever_it_said_before(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        run = store.create_run("T-1", "cancel_refund", {"domain": DOMAIN}).run
        run.status, run.message = RunStatus.NEEDS_INPUT, texts.customer_in_progress(DOMAIN)
        store.save_run(run)
        closed = store.abandon_run(run.run_id, "the customer withdrew")
        result = result_of(closed, store.events(run.run_id))
    assert (result.status, result.outcome, result.next_action) == ("abandoned", "abandoned",
                                                                    None)
    assert result.customer_message == texts.customer_abandoned(DOMAIN)
    assert "working on" not in result.customer_message
    assert problems(result.customer_message, result.status, None) == []


def test_a_paused_run_has_no_outcome(tmp_path: Path) -> None:
    """A run stored paused with an outcome (a resumed failure's, by an older runner) reads
    null: docs/contract.md says so."""
    with RunStore(tmp_path / "runs.db") as store:
        run = store.create_run("T-1", "cancel_refund", {"domain": DOMAIN}).run
        run.status, run.outcome = RunStatus.NEEDS_INPUT, "answer_tries_exhausted"
        store.save_run(run)
        result = result_of(store.get_run(run.run_id), [])
    assert (result.status, result.outcome) == ("needs_input", None)
