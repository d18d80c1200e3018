"""Next actions as data, command lines at the CLI edge, and customer messages safe to paste."""

from __future__ import annotations

import shlex
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runner.cli.argv import command_line, shell_line
from runner.engine import texts
from runner.engine.next_action import Command, NextAction, Verb
from runner.engine.result import RunResult
from runner.error_codes import ErrorCode, Kind
from runner.errors import RunnerError

WHEN = datetime(2026, 4, 9, 12, 0, tzinfo=UTC)
HOSTILE = "T-1; touch /tmp/certrunner-x #"

EVERY_ACTION: list[NextAction] = [
    texts.offer_cancel_only(HOSTILE, "shop.example"),
    texts.provide_input("run-abc", "image_number", "Read the number", "/tmp/c.png"),
    texts.wait("run-abc", "the customer to cancel", WHEN, WHEN),
    texts.confirm_side_effect("run-abc", "refund", "pm.refund", "O-1", WHEN.isoformat(),
                              {"refunded": False}, "retry", "done"),
    texts.failure("run-abc", RunnerError("x", ErrorCode.DOMAIN_NOT_FOUND)),
    texts.other_process("run-abc"),
    texts.other_inputs("T-1", "run-abc", "cancel_refund", {"domain": "a.example"},
                       texts.other_process("run-abc")),
    texts.would_do("refund", "pm.refund", {"order_id": "O-1"}),
    texts.would_ask("image_number", "image_number", "Read the number"),
]


@pytest.mark.parametrize("action", EVERY_ACTION, ids=lambda a: str(a.type))
def test_a_stored_next_action_comes_back_the_same(action: NextAction) -> None:
    assert NextAction.from_dict(action.to_dict()) == action


def test_commands_are_argv_lists_with_placeholders() -> None:
    asked = texts.provide_input("run-abc", "image_number", "Read the number", None)
    assert asked.command is not None
    assert command_line(asked.command) == ["certrunner", "resume", "run-abc", "--input",
                                           "image_number=<VALUE>", "--json"]
    fix = texts.failure("run-abc", RunnerError("x", ErrorCode.DOMAIN_NOT_FOUND))
    assert fix.command is not None
    assert command_line(fix.command)[-2] == "domain=<CORRECTED_DOMAIN>"
    assert texts.failure("run-abc", RunnerError("x", ErrorCode.CONSOLE_TIMEOUT)).type == (
        "retry_later")


def test_a_hostile_ticket_stays_one_argument(tmp_path: Path) -> None:
    offer = texts.offer_cancel_only(HOSTILE, "shop.example")
    assert offer.command is not None
    argv = command_line(offer.command)
    assert argv[:5] == ["certrunner", "run", "cancel_only", "--ticket", HOSTILE]
    assert shlex.split(shell_line(offer.command)) == argv
    # Pasted into a real shell, the line runs nothing but the one command.
    echo = shell_line(offer.command).replace("certrunner", "echo", 1)
    subprocess.run(["sh", "-c", echo], check=True, capture_output=True, cwd=tmp_path)
    assert not Path("/tmp/certrunner-x").exists()


def test_the_cli_renders_commands_and_older_runs_read_as_null() -> None:
    result = RunResult("run-abc", "T-1", "cancel_refund", "waiting",
                       next_action=texts.wait("run-abc", "x", WHEN, WHEN))
    assert result.to_dict(command_line)["next_action"]["command"] == [
        "certrunner", "resume", "run-abc", "--json"]
    assert result.to_dict()["next_action"]["command"]["verb"] == "resume"
    old = {"type": "wait", "summary": "s", "waiting_for": "x", "next_check_at": "t",
           "deadline": "t", "command": "python run.py resume --due   (cron), or ..."}
    assert NextAction.from_dict(old) == texts.wait("run-abc", "x", WHEN, WHEN).__class__(
        type="wait", summary="s", waiting_for="x", next_check_at="t", deadline="t")
    assert NextAction.from_dict({"summary": "no type"}) is None
    partial = NextAction.from_dict({"type": "provide_input", "summary": "s"})
    assert partial is not None and (partial.type, partial.summary) == ("provide_input", "s")
    assert Command.from_dict({"verb": "explode"}) is None
    assert Verb.RESUME == "resume"


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_every_failure_has_a_customer_sentence_without_internals(code: ErrorCode) -> None:
    error = RunnerError(f"detail for the agent [{code}]", code,
                        {"step": "refund_now", "deadline": WHEN.isoformat()})
    for domain in ("shop.example", None):
        message = texts.customer_failure(error, domain)
        assert message[0].isupper() and message.endswith("."), message
        for internal in (str(code), "refund_now", "run-", "Traceback", "{", "}", "error"):
            assert internal not in message, (internal, message)
        if domain and code.kind is not Kind.CONSOLE:
            assert domain in message
