"""The night's proposals as one patch file: the best proposed fix of each broken locator, for a
maintainer to review and `git apply` (never applied by the check).

Apart from the report it reads and the patch maker it calls, so that both the command line's
check and a kept night (``runner.selectors.nights``) write it the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runner.selectors.patch import unified_patch

if TYPE_CHECKING:
    from runner.selectors.report import CheckReport


def write_proposals(report: CheckReport, path: Path) -> int:
    """The best proposal of each broken declaration as one patch; answers how many changes."""
    best = [(r.proposals[0].change, r) for _, r in report.proposals()
            if r.proposals and r.proposals[0].change is not None]
    notes = [f"{r.review}: {change.where} {r.declared_in} clicks a side effect; check by hand "
             f"that the new control does the same before applying"
             for change, r in best if change is not None and r.review]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(unified_patch([c for c, _ in best if c is not None], notes),
                    encoding="utf-8")
    return len(best)
