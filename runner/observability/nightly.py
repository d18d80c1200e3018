"""What the last nightly selector check said, read back from the state home for the gauges.

The check keeps two things there: each night's JSON report (``reports/<night>/*.json``, the
``verify-selectors --json`` document: ``exit_code``, ``started_at``, ``totals``) and, after a
passing night, the page snapshots (``selector-baseline/``, ``runner.selectors.baseline``). The
newest report gives the page counts; the newest passing report, or else the baseline's newest
file, gives the time of the last pass. Only reads; a folder or file that is missing or not a
report is passed over (a scrape never fails on it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPORTS = "reports"
BASELINE = "selector-baseline"


@dataclass(frozen=True)
class NightlyState:
    pages: dict[str, int] | None  # ok / drift / skipped of the newest report; None: no report
    last_pass: float | None  # Unix time of the last passing check; None: never seen one


def read_nightly(home: Path) -> NightlyState:
    reports = sorted(_reports(home / REPORTS), key=lambda r: r.get("started_at", ""))
    pages = None
    if reports:
        totals = reports[-1].get("totals") or {}
        pages = {s: int(totals.get(f"pages_{s}", 0)) for s in ("ok", "drift", "skipped")}
    passed = [_epoch(r.get("started_at")) for r in reports if r.get("exit_code") == 0]
    last_pass = max((p for p in passed if p is not None), default=None)
    return NightlyState(pages, last_pass if last_pass is not None else _baseline_time(home))


def _reports(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in folder.glob("*/*.json") if folder.is_dir() else ():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "exit_code" in data and "totals" in data:
            found.append(data)
    return found


def _epoch(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def _baseline_time(home: Path) -> float | None:
    folder = home / BASELINE
    times = [p.stat().st_mtime for p in folder.iterdir()] if folder.is_dir() else []
    return max(times, default=None)
