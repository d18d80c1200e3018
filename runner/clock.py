"""Where the runner, the sandbox and the tests get "now" from: the project's one clock.

The refund decision depends on the date, so time is injected rather than read from the system
deep inside the engine: tests and the sandbox demo fake it, and a production run cannot, because
moving the clock against real consoles could refund outside the window. The sandbox's consoles
take the same ``Clock`` (sessions, captchas and mails age by it), and tests move a
``FixedClock`` or an ``OffsetClock`` instead of waiting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from runner.errors import ConfigError, ErrorCode, InputError

ENV_VAR = "CERTRUNNER_NOW"
_OFFSET = re.compile(r"([+-])((?:\d+[smhd])+)\Z")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"clock time {value.isoformat()} has no time zone",
                         code=ErrorCode.NAIVE_DATETIME)
    return value.astimezone(UTC)


@dataclass
class FixedClock:
    """Stands still until a test moves it; ``advance`` replaces sleeping."""

    at: datetime

    def __post_init__(self) -> None:
        self.at = _utc(self.at)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta

    def set(self, at: datetime) -> None:
        self.at = _utc(at)


@dataclass
class OffsetClock:
    """Real time shifted by ``offset``: a sandbox demo can live 31 days ahead and still tick."""

    offset: timedelta
    base: Clock = field(default_factory=SystemClock)

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def advance(self, delta: timedelta) -> None:
        """Jump ahead while still ticking (a test ages sessions and mails without waiting)."""
        self.offset += delta


def parse_override(value: str) -> Clock:
    """``2026-05-01T09:00:00+00:00`` fixes the time; ``+31d`` or ``-2h`` shifts real time."""
    text = value.strip()
    shift = _OFFSET.match(text)
    if shift:
        from runner.language.durations import parse_duration  # only here: status starts faster

        try:
            delta = parse_duration(shift.group(2))  # one duration syntax for flows and clocks
        except ValueError as exc:
            raise ConfigError(f"clock override {value!r}: {exc}",
                              code=ErrorCode.CLOCK_OVERRIDE_INVALID) from exc
        return OffsetClock(delta if shift.group(1) == "+" else -delta)
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"clock override {value!r} is neither an ISO 8601 time with an offset "
                          "nor a shift such as +31d",
                          code=ErrorCode.CLOCK_OVERRIDE_INVALID) from exc
    if at.tzinfo is None:
        raise ConfigError(f"clock override {value!r} has no time zone; add an offset such as "
                          "+00:00", code=ErrorCode.CLOCK_OVERRIDE_INVALID)
    if not 1970 <= at.year <= 2999:  # arithmetic on the refund window must not overflow
        raise ConfigError(f"clock override {value!r} is outside the years 1970 to 2999",
                          code=ErrorCode.CLOCK_OVERRIDE_INVALID)
    return FixedClock(at)


def clock_from_env(value: str | None = None, *, allow_override: bool,
                   env: Mapping[str, str] | None = None) -> Clock:
    """The system clock, or the override in ``value`` or $CERTRUNNER_NOW when allowed.

    ``allow_override`` must be true only when every console is the sandbox; otherwise an override
    is refused loudly instead of ignored, so nobody believes a production run used fake time.
    """
    env = os.environ if env is None else env
    override = value if value is not None else env.get(ENV_VAR)
    if not override:
        return SystemClock()
    if not allow_override:
        raise ConfigError(f"the clock can only be overridden ({ENV_VAR}={override}) when every "
                          "console is the sandbox", code=ErrorCode.CLOCK_OVERRIDE_FORBIDDEN)
    return parse_override(override)
