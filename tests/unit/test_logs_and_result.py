"""The log redaction and the exit-code contract, without a browser."""

from __future__ import annotations

import json

import pytest
import structlog

from runner import logs
from runner.engine.result import RunResult


def test_secret_keys_are_redacted_at_any_depth() -> None:
    event = logs.redact(None, "info", {"event": "step", "password": "hunter2",
                                       "detail": {"image_number": "12345", "step": "access"}})
    assert event["password"] == "[redacted]"
    assert event["detail"] == {"image_number": "[redacted]", "step": "access"}
    assert "hunter2" not in json.dumps(event) and "12345" not in json.dumps(event)


def test_json_logs_one_object_per_event(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(level="info", json_logs=True)
    structlog.contextvars.bind_contextvars(run_id="run-1", ticket="T-1")
    try:
        logs.get_logger().info("step", step="order", duration_ms=12, status="done")
    finally:
        structlog.contextvars.clear_contextvars()
    line = capsys.readouterr().err.strip()
    structlog.reset_defaults()  # the configured stream was capsys's: later tests must not use it
    record = json.loads(line)
    assert {k: record[k] for k in ("event", "run_id", "ticket", "step", "status")} == {
        "event": "step", "run_id": "run-1", "ticket": "T-1", "step": "order", "status": "done"}


@pytest.mark.parametrize(("status", "kind", "code"), [
    ("succeeded", None, 0), ("denied", None, 0), ("waiting", None, 3), ("needs_input", None, 3),
    ("running", None, 3), ("failed", "console", 1), ("failed", "drift", 1),
    ("failed", "business", 1), ("failed", "input", 2),
])
def test_exit_codes(status: str, kind: str | None, code: int) -> None:
    error = {"kind": kind, "code": "x", "message": "m"} if kind else None
    assert RunResult("run-1", "T", "f", status, error=error).exit_code == code
