"""The nightly selector check's nights, as the console lists them: the latest report and the
history (pass or drift), each with its proposals patch and full report.

One reader of the nights' folders serves everyone who shows them
(``runner.selectors.nights``): the check writes them, the gauges and this list read them. A
folder half-written by a check still running is listed as unreadable, never a crash.
"""

from __future__ import annotations

from pathlib import Path

from runner.selectors.nights import REPORTS, Night, find_night, list_nights


def nights(home: Path, limit: int = 60) -> list[Night]:
    """The newest ``limit`` nights, newest first."""
    return list_nights(home / REPORTS, limit)


def night(home: Path, name: str) -> Night | None:
    """One night by folder name (only a name listed there: never a path from the caller)."""
    return find_night(home / REPORTS, name)
