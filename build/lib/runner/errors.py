"""One error family for the whole runner.

Every error a user can cause carries a stable ``code`` and a ``kind`` so that an agent reading
the JSON output knows whether to tell the customer (``business``), retry later (``console``),
alert the maintainers (``drift``) or fix the ticket (``input``). Context (ticket, step, page,
URL) is attached where it is known and re-raised, never swallowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Kind:
    """The four things a caller can do about a failure."""

    BUSINESS = "business"
    CONSOLE = "console"
    DRIFT = "drift"
    INPUT = "input"


@dataclass
class RunnerError(Exception):
    """Base of every runner error; ``code`` is stable and specific, ``kind`` is one of Kind."""

    message: str
    code: str = "runner_error"
    kind: str = Kind.INPUT
    context: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def with_context(self, **more: Any) -> RunnerError:
        """Add what the caller knows (ticket, step, page, url) without losing what is there."""
        for key, value in more.items():
            if value is not None:
                self.context.setdefault(key, value)
        return self

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.context.items())
        return f"{self.message} [{where}]" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "kind": self.kind, "message": str(self)}
        where = ("ticket", "step", "page", "locator", "url")
        out.update({k: v for k, v in self.context.items() if k in where})
        return out


class ConfigError(RunnerError):
    """The config file is missing, malformed or names something unknown."""

    def __init__(self, message: str, code: str = "config_invalid", **context: Any) -> None:
        super().__init__(message, code, Kind.INPUT, dict(context))


class ConsoleError(RunnerError):
    """A vendor console is down, slow or answered with a server error: retry later."""

    def __init__(self, message: str, code: str = "console_unavailable", **context: Any) -> None:
        super().__init__(message, code, Kind.CONSOLE, dict(context))


class DriftError(RunnerError):
    """A page no longer matches its page object: a locator is missing or ambiguous."""

    def __init__(self, message: str, code: str = "page_drift", **context: Any) -> None:
        super().__init__(message, code, Kind.DRIFT, dict(context))


class BusinessError(RunnerError):
    """Policy or the console's state says no; retrying will not help."""

    def __init__(self, message: str, code: str, **context: Any) -> None:
        super().__init__(message, code, Kind.BUSINESS, dict(context))


class InputError(RunnerError):
    """The ticket's data is wrong or incomplete (unknown domain, missing input)."""

    def __init__(self, message: str, code: str = "bad_input", **context: Any) -> None:
        super().__init__(message, code, Kind.INPUT, dict(context))
