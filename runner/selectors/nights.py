"""The nightly check's history: each night's reports in a folder of its own, the oldest let go.

The scheduled check (``certrunner beat`` -> ``runner.workers.tasks.verify_selectors``, or
``verify-selectors --keep-night`` from cron) writes the same HTML, JUnit, JSON and patch a person
asks for on the command line into ``<home>/reports/<started>/``, with the
screenshots beside them, and keeps the last ``selectors.keep_nights`` nights. The alert links
that folder's files, and anything that shows the history (the console's nightly page) lists it
with ``list_nights``: one reader of the folder, whoever asks (the console's nightly page
through ``runner.app.nightly``, the gauges through ``runner.observability.nightly``).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.config.home import private_dir

if TYPE_CHECKING:
    from runner.config import Config
    from runner.selectors.report import CheckReport

FILES = {"html": "report.html", "junit": "junit.xml", "proposals": "proposals.patch",
         "json": "report.json"}
SCREENSHOTS = "screenshots"
REPORTS = "reports"  # the nights' folder in the state home
# A night's folder: when the check started, UTC, sortable (``20261208T020000Z``, ``-2`` when
# two checks started in the same second).
_NIGHT = re.compile(r"^\d{8}T\d{6}Z(?:-\d+)?$")


@dataclass(frozen=True)
class Night:
    """One night as the history shows it."""

    folder: Path
    started_at: str  # ISO 8601, as in the report
    exit_code: int | None  # None: the night's report.json is missing or unreadable
    headline: str
    needs_review: int = 0  # money controls whose fix needs a person
    paths: dict[str, str] = field(default_factory=dict)  # html, junit, json, proposals
    totals: dict[str, Any] = field(default_factory=dict)  # the report's counts (pages_ok, ...)

    @property
    def name(self) -> str:
        """The folder's name: how a night is asked for (a name listed here, never a path)."""
        return self.folder.name

    @property
    def date(self) -> str:
        return self.started_at[:10]

    @property
    def ok(self) -> bool | None:
        """Passed (True), drift (False), or the report could not be read (None)."""
        return None if self.exit_code is None else self.exit_code == 0

    @property
    def patch(self) -> Path | None:
        """The proposals patch, when the night wrote one with something in it."""
        path = self.paths.get("proposals")
        return Path(path) if path and Path(path).stat().st_size else None

    @property
    def html(self) -> Path | None:
        path = self.paths.get("html")
        return Path(path) if path else None

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "started_at": self.started_at, "date": self.date,
                "exit_code": self.exit_code, "headline": self.headline,
                "needs_review": self.needs_review, "paths": self.paths}


def nights_dir(config: Config) -> Path:
    """In the state home: nights outlive the artifacts of one run and the working folder. The
    console (``runner.app.nightly``) and the metrics (``runner.observability.nightly``) read
    the same folders."""
    return config.home / REPORTS


def night_folder(root: Path, started_at: str) -> Path:
    """A new, empty folder for the night that started at ``started_at`` (private)."""
    stamp = datetime.fromisoformat(started_at).strftime("%Y%m%dT%H%M%SZ")
    private_dir(root)
    folder, n = root / stamp, 1
    while folder.exists():
        n += 1
        folder = root / f"{stamp}-{n}"
    folder.mkdir(mode=0o700)
    return folder


def write_night(report: CheckReport, folder: Path, reports: dict[str, str]) -> dict[str, str]:
    """Write the four reports into ``folder``; answer their paths (added to ``reports``).

    The JSON goes last: a night with its ``report.json`` is complete.
    """
    from runner.selectors.html import write_html
    from runner.selectors.junit import write_junit
    from runner.selectors.proposals_patch import write_proposals

    paths = {kind: str((folder / name).resolve()) for kind, name in FILES.items()}
    write_html(report, Path(paths["html"]))
    write_junit(report, Path(paths["junit"]))
    write_proposals(report, Path(paths["proposals"]))
    Path(paths["json"]).write_text(json.dumps(report.to_dict({**reports, **paths}), indent=2),
                                   encoding="utf-8")
    return paths


def prune(root: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` nights; answer what was removed."""
    nights = sorted((p for p in root.iterdir() if p.is_dir() and _NIGHT.match(p.name)),
                    key=lambda p: p.name, reverse=True) if root.is_dir() else []
    gone = nights[keep:]
    for folder in gone:
        shutil.rmtree(folder)
    return gone


def list_nights(root: Path, limit: int | None = None) -> list[Night]:
    """Every kept night (or the newest ``limit``), newest first: when, its exit code and
    headline, its reports."""
    try:
        folders = sorted((p for p in root.iterdir() if p.is_dir() and _NIGHT.match(p.name)),
                         key=lambda p: p.name, reverse=True)
    except OSError:  # no night yet, or the folder is not readable
        return []
    return [_night(folder) for folder in folders[:limit]]


def find_night(root: Path, name: str) -> Night | None:
    """One night by its folder's name; only a name the history lists, so a name from a
    request never becomes a path."""
    return next((n for n in list_nights(root) if n.name == name), None)


def _night(folder: Path) -> Night:
    paths = {kind: str(folder / name) for kind, name in FILES.items()
             if (folder / name).is_file()}
    try:
        data = json.loads((folder / FILES["json"]).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("report.json is not an object")
    except (OSError, ValueError):
        started = datetime.strptime(folder.name[:16], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=UTC).isoformat()
        return Night(folder, started, None, "no report.json: the check did not finish writing",
                     paths=paths)
    totals = data.get("totals")
    return Night(folder, str(data.get("started_at", "")), data.get("exit_code"),
                 str(data.get("headline", "")), len(data.get("needs_review") or []), paths,
                 totals if isinstance(totals, dict) else {})
