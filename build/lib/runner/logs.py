"""The one logger set-up: structlog, one event per step, JSON when stderr is not a terminal.

Run, ticket, flow and step are bound with contextvars by the executor, so every event carries
them without being passed around. A redaction processor drops any key that could hold a secret;
secrets are never bound in the first place, this is the second guard.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SECRET_KEYS = ("password", "secret", "token", "image_number", "captcha_answer", "cookie")


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace values of secret-looking keys, at any nesting of dicts."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "[redacted]" if any(s in str(k).lower() for s in SECRET_KEYS) else clean(v)
                    for k, v in value.items()}
        return value

    for key in list(event):
        if any(s in key.lower() for s in SECRET_KEYS):
            event[key] = "[redacted]"
        else:
            event[key] = clean(event[key])
    return event


def configure(level: str | None = None, json_logs: bool | None = None) -> None:
    """Configure once per process; the CLI calls this before anything logs."""
    as_json = (not sys.stderr.isatty()) if json_logs is None else json_logs
    chosen = level or ("info" if as_json else "warning")
    renderer: Any = (structlog.processors.JSONRenderer() if as_json
                     else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(chosen.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger() -> Any:
    return structlog.get_logger("certrunner")
