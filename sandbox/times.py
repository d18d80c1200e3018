"""Time for the sandbox: the runner's clock (``runner.clock``, injectable, one for the
whole project) and one ISO 8601 format for every date it shows."""

from __future__ import annotations

from datetime import UTC, datetime

from runner.clock import Clock, SystemClock

__all__ = ["Clock", "SystemClock", "iso", "parse_iso", "to_utc"]


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
