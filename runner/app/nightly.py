"""The nightly selector check's nights, as the console lists them: the latest report and the
history (pass or drift), each with its proposals patch.

Nights are folders under the state home's ``reports/`` (one per night, with ``report.json``
and, when something broke, ``proposals.patch``). Read defensively: a folder half-written by a
check still running, or a report from an older runner, is listed as unreadable, never a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPORTS = "reports"
REPORT_FILE = "report.json"
PATCH_FILE = "proposals.patch"
HTML_FILE = "report.html"


@dataclass(frozen=True)
class Night:
    name: str  # the folder's name: the night's date and time
    folder: Path
    ok: bool | None  # None: the report could not be read
    headline: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def patch(self) -> Path | None:
        path = self.folder / PATCH_FILE
        return path if path.is_file() and path.stat().st_size else None

    @property
    def html(self) -> Path | None:
        path = self.folder / HTML_FILE
        return path if path.is_file() else None


def _night(folder: Path) -> Night:
    try:
        data = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as exc:
        return Night(folder.name, folder, None, f"report unreadable ({exc.__class__.__name__})")
    ok = bool(data.get("ok", data.get("exit_code") == 0))
    return Night(folder.name, folder, ok, str(data.get("headline") or data.get("message")
                                              or ("pass" if ok else "drift")), data)


def nights(home: Path, limit: int = 60) -> list[Night]:
    """Newest first."""
    root = home / REPORTS
    try:
        folders = sorted((p for p in root.iterdir() if p.is_dir()), reverse=True)
    except OSError:
        return []
    return [_night(f) for f in folders[:limit]]


def night(home: Path, name: str) -> Night | None:
    """One night by folder name (only a name listed there: never a path from the caller)."""
    return next((n for n in nights(home, limit=10_000) if n.name == name), None)
