"""The last passing night, per page: what changed since, as warnings.

A locator that still resolves says nothing about the button added beside it, or the link the
vendor renamed that no locator uses yet, which is tomorrow's drift. A passing check keeps each
page's ARIA snapshot in the state home (beside the run store); the next check compares each
page's controls (role and name) with it and reports what was added, removed or renamed, and
which locator, if any, uses the control. These are warnings: they never change the exit code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.selectors.aria import FIELD_ROLES, controls, similarity

if TYPE_CHECKING:
    from runner.config import Config
    from runner.selectors.report import CheckReport, PageResult

ADDED, REMOVED, RENAMED = "added", "removed", "renamed"
RENAME_SIMILARITY = 0.5  # below this, a removed and an added control are two changes


@dataclass(frozen=True)
class Change:
    """One control that differs from the last passing night."""

    change: str  # added | removed | renamed
    role: str
    name: str  # as it is now (as it was, for removed)
    was: str = ""  # the name it had, for renamed
    used_by: str = ""  # the locator pointing at it (at its old name, for removed/renamed)

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.change, "role": self.role, "name": self.name, "was": self.was,
                "used_by": self.used_by}

    def __str__(self) -> str:
        what = {ADDED: f'added {self.role} "{self.name}"',
                REMOVED: f'removed {self.role} "{self.name}"',
                RENAMED: f'{self.role} "{self.was}" renamed "{self.name}"'}[self.change]
        return what + (f" (used by {self.used_by})" if self.used_by else " (no locator uses it)")


def baseline_dir(config: Config) -> Path:
    """Beside the run store, in the state home: it outlives the artifacts of one night."""
    return config.store.parent / "selector-baseline"


def _file(folder: Path, page: str) -> Path:
    return folder / (re.sub(r"[^\w.-]", "_", page) + ".aria.yaml")


def compare(report: CheckReport, folder: Path) -> None:
    """Set each checked page's ``changes`` against the stored snapshot (if there is one)."""
    for page in report.pages:
        stored = _file(folder, page.page)
        if page.aria and stored.exists():
            page.changes = diff(stored.read_text(encoding="utf-8"), page.aria, page)
            page.baseline = str(stored)


def save(report: CheckReport, folder: Path) -> bool:
    """Keep this night's snapshots, if it passed (a drifted night is no baseline)."""
    if report.exit_code != 0:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    for page in report.pages:
        if page.aria:
            _file(folder, page.page).write_text(page.aria, encoding="utf-8")
    return True


def diff(before: str, after: str, page: PageResult | None = None) -> list[Change]:
    """Controls added, removed and renamed between two snapshots of one page."""
    old, new = controls(before), controls(after)
    removed, added = sorted(old - new), sorted(new - old)
    users = _users(page)
    changes: list[Change] = []
    for role in sorted({r for r, _ in removed} | {r for r, _ in added}):
        gone = [n for r, n in removed if r == role]
        came = [n for r, n in added if r == role]
        for was, now in _pairs(gone, came):
            gone.remove(was)
            came.remove(now)
            changes.append(Change(RENAMED, role, now, was, users.get((role, was), "")))
        changes += [Change(REMOVED, role, n, used_by=users.get((role, n), "")) for n in gone]
        changes += [Change(ADDED, role, n, used_by=users.get((role, n), "")) for n in came]
    return changes


def _pairs(gone: list[str], came: list[str]) -> list[tuple[str, str]]:
    """Most alike first; a lone removal and a lone addition of one role are a rename."""
    if len(gone) == len(came) == 1:
        return [(gone[0], came[0])]
    scored = sorted(((similarity(g, c), g, c) for g in gone for c in came), reverse=True)
    pairs, used_g, used_c = [], set(), set()
    for score, g, c in scored:
        if score >= RENAME_SIMILARITY and g not in used_g and c not in used_c:
            pairs.append((g, c))
            used_g.add(g)
            used_c.add(c)
    return pairs


def _users(page: PageResult | None) -> dict[tuple[str, str], str]:
    """(role, name) -> the locator of the page that names it, from the report's locators."""
    if page is None:
        return {}
    found = {}
    for result in page.locators:
        role, name = result.target
        for each in FIELD_ROLES if role == "field" else (role,) if role else ():
            found[(each, name)] = result.name
    return found
