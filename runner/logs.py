"""The one logger set-up: structlog, one event per step, always on stderr, never on stdout.

Run, ticket, flow and step are bound with contextvars by the executor, so every event carries
them without being passed around. A redaction processor drops any key that could hold a secret;
secrets are never bound in the first place, this is the second guard.

Under ``--json`` stdout is the contract: exactly one JSON document. Logs then default to
``warning``, and when stderr is the very same file as stdout (an agent's shell that merged them
with ``2>&1``) they are dropped altogether, whatever the level: the run's events stay readable
with ``certrunner runs show``. ``configure`` only records the choice; structlog (a noticeable
import) is loaded by the first ``get_logger``, so commands that never log start faster.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, TextIO

from runner.jsonable import REDACTED, is_secret_key
from runner.jsonable import redact as jsonable_redact

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}  # logging's numbers
LEVEL_ENV = "CERTRUNNER_LOG_LEVEL"


@dataclass(frozen=True)
class LogSettings:
    level: str
    json_logs: bool
    dropped: bool  # stderr is stdout under --json: nothing may be written there


_settings: LogSettings | None = None
_applied: LogSettings | None = None


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask values of secret-looking keys (the store's list: ``runner.jsonable``), at any depth."""
    for key in list(event):
        event[key] = REDACTED if is_secret_key(key) else jsonable_redact(event[key])
    return event


def streams_merged(out: TextIO | None = None, err: TextIO | None = None) -> bool:
    """True when stdout and stderr are one file (``2>&1``, or one terminal)."""
    try:
        a = os.fstat((out or sys.stdout).fileno())
        b = os.fstat((err or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):  # replaced by a test's capture, or closed
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def settings_for(level: str | None, json_output: bool,
                 json_logs: bool | None = None) -> LogSettings:
    """The level given (flag or CERTRUNNER_LOG_LEVEL) or the default for this kind of output."""
    as_json = (not sys.stderr.isatty()) if json_logs is None else json_logs
    default = "warning" if json_output or not as_json else "info"
    chosen = (level or os.environ.get(LEVEL_ENV) or default).lower()
    if chosen not in LEVELS:
        chosen = default
    return LogSettings(chosen, as_json, dropped=json_output and streams_merged())


def configure(level: str | None = None, json_logs: bool | None = None, *,
              json_output: bool = False) -> LogSettings:
    """Record the settings; the CLI calls this before anything logs. Cheap: no structlog yet."""
    global _settings
    _settings = settings_for(level, json_output, json_logs)
    if _applied is not None:  # already logging in this process: apply the change now
        _apply(_settings)
    return _settings


def _apply(settings: LogSettings) -> None:
    global _applied
    import structlog

    renderer: Any = (structlog.processors.JSONRenderer() if settings.json_logs
                     else structlog.dev.ConsoleRenderer(colors=False))
    factory: Any = (structlog.ReturnLoggerFactory() if settings.dropped
                    else structlog.PrintLoggerFactory(file=sys.stderr))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[settings.level]),
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )
    _applied = settings


def get_logger() -> Any:
    """The certrunner logger, configured on first use (default settings if nobody chose)."""
    settings = _settings or settings_for(None, json_output=False)
    if _applied != settings:
        _apply(settings)
    import structlog

    return structlog.get_logger("certrunner")
