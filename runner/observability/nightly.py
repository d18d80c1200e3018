"""What the last nightly selector check said, read back from the state home for the gauges.

The check keeps two things there: each night's reports (``reports/<night>/``, listed by the
one reader of them, ``runner.selectors.nights``) and, after a passing night, the page snapshots
(``selector-baseline/``, ``runner.selectors.baseline``). The newest readable night gives the
page counts; the newest passing night, or else the baseline's newest file, gives the time of the
last pass. Only reads; a night half-written or unreadable is passed over (a scrape never fails
on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from runner.selectors.nights import REPORTS, list_nights

BASELINE = "selector-baseline"


@dataclass(frozen=True)
class NightlyState:
    pages: dict[str, int] | None  # ok / drift / skipped of the newest report; None: no report
    last_pass: float | None  # Unix time of the last passing check; None: never seen one


def read_nightly(home: Path) -> NightlyState:
    read = [n for n in list_nights(home / REPORTS) if n.exit_code is not None]  # newest first
    pages = None
    if read:
        totals = read[0].totals
        pages = {s: int(totals.get(f"pages_{s}", 0)) for s in ("ok", "drift", "skipped")}
    passed = [_epoch(n.started_at) for n in read if n.ok]
    last_pass = max((p for p in passed if p is not None), default=None)
    return NightlyState(pages, last_pass if last_pass is not None else _baseline_time(home))


def _epoch(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _baseline_time(home: Path) -> float | None:
    folder = home / BASELINE
    times = [p.stat().st_mtime for p in folder.iterdir()] if folder.is_dir() else []
    return max(times, default=None)
