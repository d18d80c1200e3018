"""Test helpers for the sandbox: a clock tests move by hand.

(Browsing the sandbox over HTTP in its own tests is ``tests/sandbox/browsing.py``.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock tests move by hand (``advance``) instead of waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
