"""The log redaction and the exit-code contract, without a browser."""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from runner import logs
from runner.engine.result import RunResult


def test_secret_keys_are_redacted_at_any_depth() -> None:
    event = logs.redact(None, "info", {"event": "step", "password": "hunter2",
                                       "detail": {"image_number": "12345", "step": "access"}})
    assert event["password"] == "[redacted]"
    assert event["detail"] == {"image_number": "[redacted]", "step": "access"}
    assert "hunter2" not in json.dumps(event) and "12345" not in json.dumps(event)


def _logged(emit: Callable[[], None], **bound: str) -> list[MutableMapping[str, Any]]:
    """What the configured chain (all but its renderer) makes of the events ``emit`` logs,
    with ``bound`` bound as the executor binds run and ticket. ``logs.configure`` only records
    the settings (structlog is imported on first use), so the first logger applies them."""
    logs.get_logger()
    chain = structlog.get_config()["processors"][:-1]
    structlog.contextvars.bind_contextvars(**bound)
    try:
        with capture_logs(processors=chain) as events:
            emit()
    finally:
        structlog.contextvars.clear_contextvars()
    return events


def test_json_logs_one_object_per_event_with_the_run_bound() -> None:
    logs.configure(level="info", json_logs=True)
    logs.get_logger()
    assert isinstance(structlog.get_config()["processors"][-1], structlog.processors.JSONRenderer)

    events = _logged(lambda: logs.get_logger().info("step", step="order", status="done"),
                     run_id="run-1", ticket="T-1")

    assert [{k: e[k] for k in ("event", "run_id", "ticket", "step", "status", "log_level")}
            for e in events] == [{"event": "step", "run_id": "run-1", "ticket": "T-1",
                                  "step": "order", "status": "done", "log_level": "info"}]


def test_a_secret_passed_to_the_logger_is_redacted_before_any_output() -> None:
    logs.configure(level="info", json_logs=True)

    events = _logged(lambda: logs.get_logger().warning("retry", password="hunter2",
                                                       code="console_timeout"))

    assert events[0]["password"] == "[redacted]" and events[0]["code"] == "console_timeout"


@pytest.mark.parametrize(("status", "kind", "code"), [
    ("succeeded", None, 0), ("denied", None, 0), ("waiting", None, 3), ("needs_input", None, 3),
    ("running", None, 3), ("failed", "console", 1), ("failed", "drift", 1),
    ("failed", "business", 1), ("failed", "input", 2),
])
def test_exit_codes(status: str, kind: str | None, code: int) -> None:
    error = {"kind": kind, "code": "x", "message": "m"} if kind else None
    assert RunResult("run-1", "T", "f", status, error=error).exit_code == code
