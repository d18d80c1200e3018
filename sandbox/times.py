"""Time for the sandbox: an injectable clock and one ISO 8601 format for every date it shows.

The sandbox imports nothing of the runner, so it declares the one thing it needs of a clock
(``now()``, aware, in UTC); the runner's and the tests' clocks (fixed, shifted) have that shape
and are passed in as they are, so the consoles age sessions, captchas and mails by their time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock", "iso", "parse_iso", "to_utc"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """Real time: the sandbox's clock unless a server or a test is given another."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def to_utc(moment: datetime) -> datetime:
    """Normalise an aware datetime to UTC with whole seconds; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """Render as the consoles do: ``2026-11-21T10:00:00+00:00``."""
    return to_utc(moment).isoformat()


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or an offset; naive means UTC) into UTC."""
    return to_utc(datetime.fromisoformat(text.strip()))
