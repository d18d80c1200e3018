"""The ``verify-selectors`` command: run the check, save what it saw, write reports, alert.

The walk (``check``) decides statuses; this module is the command's edge: progress lines, the
screenshots as files, the JUnit/HTML/JSON reports, the proposals patch and the webhook. The
exit code is the report's: 0 all resolve, 1 drift, 2 incomplete (a console unreachable).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.errors import RunnerError
from runner.selectors import nights
from runner.selectors.baseline import baseline_dir
from runner.selectors.check import Snapshots, check_pages
from runner.selectors.notify import notify
from runner.selectors.proposals_patch import write_proposals
from runner.selectors.report import (
    AMBIGUOUS,
    EXIT_INCOMPLETE,
    MISSING,
    NOT_APPLICABLE,
    OK,
    CheckReport,
    PageResult,
)

if TYPE_CHECKING:
    from runner.app.context import AppContext as App


@dataclass(frozen=True)
class Outputs:
    """Where the command writes, as the user asked (None: not wanted)."""

    as_json: bool = False
    junit: str | None = None
    html: str | None = None
    proposals: str | None = None  # the unified-diff patch of the best proposals
    notify_url: str | None = None
    # Keep this night: all four reports in a folder of its own under the state home
    # (``runner.selectors.nights``), the oldest beyond ``selectors.keep_nights`` removed.
    keep_night: bool = False


def progress_line(index: int, total: int, page: PageResult) -> str:
    """``[3/15] symantec.OrderInformationPage  ok  12 locators  240 ms``, plus what is wrong."""
    line = f"[{index}/{total}] {page.page}  {page.status}  {page.checked} locators  " \
           f"{page.duration_ms} ms"
    if page.drift:
        line += "  " + ", ".join(f"{r.name} {r.status}" for r in page.drift)
    elif page.reason:
        line += f"  ({page.reason})"
    return line


def summary_text(report: CheckReport, reports: dict[str, str]) -> str:
    """What a person reads at the end of a run in a terminal: headline, fixes, warnings."""
    totals = report.totals()
    lines = [report.headline(),
             f"{totals['pages']} pages ({totals['pages_live']} live, {totals['pages_snapshot']} "
             f"from run snapshots): {totals['pages_ok']} ok, {totals['pages_drift']} with "
             f"drift, {totals['pages_stale']} stale, {totals['pages_skipped']} never passed by "
             "a run, "
             f"{totals['pages_unreachable'] + totals['pages_error']} not checked; "
             f"{totals[OK]} locators ok, {totals[MISSING]} missing, {totals[AMBIGUOUS]} "
             f"ambiguous, {totals[NOT_APPLICABLE]} not applicable; {report.duration_ms} ms"]
    lines += [f"DRIFT {p.page}.{r.name} {r.status}: {r.locator} (declared in {r.declared_in}"
              f"{', ' + r.where if r.where else ''}){'  [' + r.review + ']' if r.review else ''}"
              for p, r in report.drift]
    for _, result in report.proposals():
        for proposal in result.proposals:
            change = proposal.change
            lines.append(f"  proposal ({proposal.kind}) {change.where if change else ''}: "
                         f"{result.locator} -> {proposal.declaration}"
                         f"{'  [' + result.review + ']' if result.review else ''}")
    lines += [f"STALE {p.page}: {p.reason}" for p in report.stale]
    lines += [f"CHANGED {p.page}: {c}" for p, c in report.changes]
    lines += [f"{kind}: {path}" for kind, path in reports.items()]
    lines.append(f"exit {report.exit_code}: {report.message()}")
    return "\n".join(lines)


def save_screenshots(report: CheckReport, folder: Path) -> None:
    """Each problem page's screenshot as a file, its absolute path in the report."""
    for page in report.pages:
        if page.screenshot:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / (re.sub(r"[^\w.-]", "_", page.page) + ".png")
            path.write_bytes(page.screenshot)
            page.screenshot_path = str(path.resolve())


def run_check(app: App, outputs: Outputs, *, echo: Callable[..., Any]) -> int:
    """Check, write the reports asked for, alert if asked, answer the exit code."""
    return check_and_report(app, outputs, echo=echo)[0]


def check_and_report(app: App, outputs: Outputs, *, echo: Callable[..., Any]
                     ) -> tuple[int, dict[str, Any]]:
    """``run_check``, answering the JSON document too (the scheduled task logs from it).

    Progress goes to stderr under ``--json`` so that stdout stays one JSON object. The pages
    the night cannot open are read from the snapshots runs kept in the store.
    """

    def progress(index: int, total: int, page: PageResult) -> None:
        echo(progress_line(index, total, page), err=outputs.as_json)

    try:
        config = app.live_config()
        folder = config.artifacts / "selector-check"
        snapshots = Snapshots(app.store.snapshots.latest(), app.clock.now(),
                              config.selectors.snapshot_stale)
        with app.host.session(folder, trace=False) as session:
            report = check_pages(session, config, progress, baseline_dir=baseline_dir(config),
                                 snapshots=snapshots)
    except RunnerError as exc:  # no browser, bad config: nothing was checked
        failed = {"ok": False, "exit_code": EXIT_INCOMPLETE, "error": exc.to_dict()}
        echo(json.dumps(failed, indent=2)
             if outputs.as_json else f"error [{exc.kind}/{exc.code}]: {exc}")
        return EXIT_INCOMPLETE, failed
    night = nights.night_folder(nights.nights_dir(config), report.started_at) \
        if outputs.keep_night else None
    save_screenshots(report, night / nights.SCREENSHOTS if night is not None else
                     folder / "screenshots" / report.started_at.replace(":", ""))
    reports = _write_reports(report, outputs)
    if night is not None:
        reports.update(nights.write_night(report, night, reports))
        nights.prune(nights.nights_dir(config), config.selectors.keep_nights)
    data = report.to_dict(reports)
    if outputs.notify_url:
        data["notify"] = notify(outputs.notify_url, report, reports)
        if not outputs.as_json:
            echo(f"notify: {json.dumps(data['notify'])}", err=True)
    echo(json.dumps(data, indent=2) if outputs.as_json else summary_text(report, reports))
    return report.exit_code, data


def _write_reports(report: CheckReport, outputs: Outputs) -> dict[str, str]:
    from runner.selectors.html import write_html
    from runner.selectors.junit import write_junit

    reports: dict[str, str] = {}
    if outputs.junit:
        write_junit(report, Path(outputs.junit))
        reports["junit"] = outputs.junit
    if outputs.html:
        write_html(report, Path(outputs.html))
        reports["html"] = outputs.html
    if outputs.proposals:
        write_proposals(report, Path(outputs.proposals))
        reports["proposals"] = outputs.proposals
    return reports
