"""What a selector check found, and the three ways it is written: JSON, JUnit XML and HTML.

Kept apart from the walk (``runner.selectors.check``) so that the walk only decides statuses and
this module only words them: CI reads the JUnit file, a person reads the HTML page (with a
screenshot of every page where something is wrong), an agent or cron reads the JSON.
"""

from __future__ import annotations

import base64
import html
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_INCOMPLETE = 2

# Locator statuses. Only the first two are drift; the rest are reported, never failures.
MISSING = "missing"
AMBIGUOUS = "ambiguous"
OK = "ok"
NOT_APPLICABLE = "not_applicable"  # its state (e.g. "refundable") was not shown on the page
SKIPPED = "skipped"  # the page is NotReachable read-only (behind a captcha, needs a mail)
UNCHECKED = "unchecked"  # the page could not be opened (console unreachable, canary missing)
DRIFT_STATUSES = (MISSING, AMBIGUOUS)
LOCATOR_STATUSES = (OK, MISSING, AMBIGUOUS, NOT_APPLICABLE, SKIPPED, UNCHECKED)

# Page statuses. "unreachable" and "error" make the check incomplete (exit 2).
PAGE_OK = "ok"
PAGE_DRIFT = "drift"
PAGE_SKIPPED = "skipped"
PAGE_UNREACHABLE = "unreachable"  # a console answered 5xx / refused / timed out
PAGE_ERROR = "error"  # opened nothing for another reason (no canary order, login refused)
INCOMPLETE = (PAGE_UNREACHABLE, PAGE_ERROR)


@dataclass
class LocatorResult:
    """One declared locator on one page: what the check saw and how long it took."""

    name: str
    locator: str  # str(Loc): the locator as written in the page object
    status: str
    declared_in: str  # "symantec.MainMenu.quick_search_link": where a fix goes
    count: int | None = None  # elements matched
    visible: int | None = None  # of which visible
    duration_ms: int = 0
    message: str = ""

    @property
    def is_drift(self) -> bool:
        return self.status in DRIFT_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "locator": self.locator, "status": self.status,
                "declared_in": self.declared_in, "count": self.count, "visible": self.visible,
                "duration_ms": self.duration_ms, "message": self.message}


@dataclass
class PageResult:
    """One page object's page: how it was opened, which states it showed, every locator."""

    page: str  # "pm.TransactionPage"
    console: str
    status: str
    locators: list[LocatorResult] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    url: str = ""
    reason: str = ""  # why skipped, unreachable, or what went wrong while opening
    blocked_by: str = ""  # the unreachable console that kept this page from being checked
    duration_ms: int = 0
    screenshot: bytes | None = None  # PNG, kept only for pages with a problem

    @property
    def drift(self) -> list[LocatorResult]:
        return [r for r in self.locators if r.is_drift]

    @property
    def checked(self) -> int:
        """Locators actually resolved on the page (ok or drift)."""
        return sum(r.status in (OK, *DRIFT_STATUSES) for r in self.locators)

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "console": self.console, "status": self.status,
                "states": self.states, "url": self.url, "reason": self.reason,
                "blocked_by": self.blocked_by,
                "duration_ms": self.duration_ms, "screenshot": self.screenshot is not None,
                "locators": [r.to_dict() for r in self.locators]}


@dataclass
class CheckReport:
    """The whole check; its exit code is the contract cron and CI act on."""

    pages: list[PageResult] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)  # console -> what it answered
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(
        timespec="seconds"))
    duration_ms: int = 0

    @property
    def drift(self) -> list[tuple[PageResult, LocatorResult]]:
        return [(p, r) for p in self.pages for r in p.drift]

    @property
    def not_checked(self) -> list[PageResult]:
        return [p for p in self.pages if p.status in INCOMPLETE]

    @property
    def exit_code(self) -> int:
        """2 when pages could not be checked (the verdict is incomplete), else 1 on drift."""
        if self.not_checked:
            return EXIT_INCOMPLETE
        return EXIT_DRIFT if self.drift else EXIT_OK

    def totals(self) -> dict[str, Any]:
        page_counts = Counter(p.status for p in self.pages)
        locator_counts = Counter(r.status for p in self.pages for r in p.locators)
        return {
            "pages": len(self.pages),
            **{f"pages_{s}": page_counts[s] for s in
               (PAGE_OK, PAGE_DRIFT, PAGE_SKIPPED, PAGE_UNREACHABLE, PAGE_ERROR)},
            "locators": sum(locator_counts.values()),
            **{s: locator_counts[s] for s in LOCATOR_STATUSES},
        }

    def broken_declarations(self) -> list[str]:
        """Each drifted locator once, where it is declared (a shared menu is one fix)."""
        return sorted({r.declared_in for _, r in self.drift})

    def message(self) -> str:
        """One paragraph for a person: the verdict, then what to do about it."""
        parts = []
        for console, reason in self.unreachable.items():
            pages = [p.page for p in self.pages if p.blocked_by == console]
            parts.append(f"console {console} unreachable: {reason} (not checked: "
                         f"{', '.join(pages)})")
        for page in self.not_checked:
            if page.status == PAGE_ERROR:
                parts.append(f"page {page.page} not checked: {page.reason}")
        if self.drift:
            parts.append(self._drift_sentence())
        if not parts:
            totals = self.totals()
            return (f"all {totals[OK]} locators resolve on {totals['pages_ok']} pages "
                    f"({totals['pages_skipped']} pages not reachable read-only)")
        if self.not_checked:
            parts.append("the check is incomplete")
        return "; ".join(parts)

    def _drift_sentence(self) -> str:
        """Drift by declaration, each with the pages it broke on: one line per fix to make."""
        where: dict[str, list[str]] = {}
        for page, result in self.drift:
            where.setdefault(result.declared_in, []).append(f"{page.page} ({result.status})")
        fixes = "; ".join(f"{decl} on {', '.join(pages)}" for decl, pages in sorted(where.items()))
        return (f"drift: {len(where)} declared locator(s) broken, {len(self.drift)} "
                f"(page, locator) pair(s): {fixes}")

    def to_dict(self, reports: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "ok": self.exit_code == EXIT_OK,
            "exit_code": self.exit_code,
            "message": self.message(),
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "totals": self.totals(),
            "unreachable": self.unreachable,
            "not_checked": [p.page for p in self.not_checked],
            "drift": [{"page": p.page, "locator": r.name, "status": r.status,
                       "selector": r.locator, "declared_in": r.declared_in,
                       "message": r.message} for p, r in self.drift],
            "broken_declarations": self.broken_declarations(),
            "reports": reports or {},
            "pages": [p.to_dict() for p in self.pages],
        }


def write_junit(report: CheckReport, path: Path) -> None:
    """One testsuite per page, an ``open`` testcase for reaching it, a testcase per locator.

    ``open`` errors when the page could not be checked (so CI shows an incomplete check as an
    error, not as a pass) and is skipped for pages only a person can reach; a locator is a
    failure only when missing or ambiguous.
    """
    root = ET.Element("testsuites", name="verify-selectors",
                      time=_seconds(report.duration_ms))
    totals = Counter[str]()
    for page in report.pages:
        suite = ET.SubElement(root, "testsuite", name=page.page, time=_seconds(page.duration_ms))
        counts = Counter[str]()
        _open_case(suite, page, counts)
        for result in page.locators:
            case = ET.SubElement(suite, "testcase", classname=page.page, name=result.name,
                                 time=_seconds(result.duration_ms))
            counts["tests"] += 1
            if result.is_drift:
                counts["failures"] += 1
                failure = ET.SubElement(case, "failure", type=result.status,
                                        message=f"{result.status}: {result.locator}")
                failure.text = f"{result.message}\ndeclared in {result.declared_in}"
            elif result.status != OK:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=f"{result.status}: {result.message}")
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
        totals.update(counts)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _open_case(suite: ET.Element, page: PageResult, counts: Counter[str]) -> None:
    case = ET.SubElement(suite, "testcase", classname=page.page, name="open",
                         time=_seconds(page.duration_ms))
    counts["tests"] += 1
    if page.status in INCOMPLETE:
        counts["errors"] += 1
        ET.SubElement(case, "error", type=page.status, message=page.reason)
    elif page.status == PAGE_SKIPPED:
        counts["skipped"] += 1
        ET.SubElement(case, "skipped", message=page.reason)
    elif page.reason:
        ET.SubElement(case, "system-out").text = page.reason


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}"


STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
h1 { margin-top: 0; }
.verdict { font-size: 1.15rem; padding: .6rem 1rem; border-radius: 6px; }
.verdict.ok { background: #e3f6e5; } .verdict.drift { background: #fde2e1; }
.verdict.incomplete { background: #fff1cc; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
code { font: 13px ui-monospace, monospace; }
.problem { border: 1px solid #ccc; border-radius: 6px; padding: 1rem; margin: 1rem 0; }
.side { display: flex; gap: 1.5rem; align-items: flex-start; }
.side figure { margin: 0; flex: 0 1 60%; }
.side img { max-width: 100%; border: 1px solid #999; }
.side ul { flex: 1 1 40%; margin: 0; }
.missing, .ambiguous, .unreachable, .error { color: #b3261e; font-weight: 600; }
.not_applicable, .skipped, .unchecked { color: #666; }
"""


def write_html(report: CheckReport, path: Path) -> None:
    """A page a person can read offline: verdict first, then each problem beside its screenshot."""
    verdict = {0: "ok", 1: "drift", 2: "incomplete"}[report.exit_code]
    body = ["<h1>Selector check</h1>",
            f'<p class="verdict {verdict}" id="verdict">{_e(report.message())}</p>',
            _summary_table(report)]
    problems = [p for p in report.pages if p.drift or p.status in INCOMPLETE]
    if problems:
        body.append("<h2>Pages with problems</h2>")
        body.extend(_problem(n, p) for n, p in enumerate(problems, 1))
    body.append("<h2>All pages</h2>")
    body.extend(_page_details(p) for p in report.pages)
    document = ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>Selector check: {verdict}</title><style>{STYLE}</style></head>"
                f"<body>{''.join(body)}</body></html>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")


def _summary_table(report: CheckReport) -> str:
    totals = report.totals()
    rows = [("started", report.started_at), ("took", f"{report.duration_ms} ms"),
            ("exit code", str(report.exit_code)),
            ("pages", f"{totals['pages']} ({totals['pages_ok']} ok, {totals['pages_drift']} "
                      f"with drift, {totals['pages_skipped']} not reachable read-only, "
                      f"{totals['pages_unreachable'] + totals['pages_error']} not checked)"),
            ("locators", ", ".join(f"{totals[s]} {s}" for s in LOCATOR_STATUSES))]
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table id="summary">{cells}</table>'


def _problem(number: int, page: PageResult) -> str:
    """A region named after the page: its screenshot with what is wrong listed beside it."""
    items = [f'<li><code>{_e(r.name)}</code> <span class="{r.status}">{r.status}</span><br>'
             f'<code>{_e(r.locator)}</code><br>{_e(r.message)}</li>' for r in page.drift]
    if page.status in INCOMPLETE:
        items.insert(0, f'<li><span class="{page.status}">{page.status}</span>: '
                        f'{_e(page.reason)}</li>')
    figure = ""
    if page.screenshot:
        data = base64.b64encode(page.screenshot).decode("ascii")
        figure = (f'<figure><img alt="Screenshot of {_e(page.page)}" '
                  f'src="data:image/png;base64,{data}"><figcaption>{_e(page.url)}'
                  f'</figcaption></figure>')
    return (f'<section class="problem" aria-labelledby="problem-{number}">'
            f'<h3 id="problem-{number}">{_e(page.page)}</h3>'
            f'<div class="side">{figure}<ul>{"".join(items)}</ul></div></section>')


def _page_details(page: PageResult) -> str:
    rows = "".join(
        f'<tr><td><code>{_e(r.name)}</code></td><td class="{r.status}">{r.status}</td>'
        f'<td><code>{_e(r.locator)}</code></td><td>{_e(r.message)}</td>'
        f'<td>{r.duration_ms} ms</td></tr>' for r in page.locators)
    states = ", ".join(page.states) or "-"
    return (f'<details><summary><code>{_e(page.page)}</code> '
            f'<span class="{page.status}">{page.status}</span> · {page.checked} checked · '
            f'states {_e(states)} · {page.duration_ms} ms</summary>'
            f'<p>{_e(page.reason or page.url)}</p>'
            f'<table><tr><th>locator</th><th>status</th><th>as written</th><th>detail</th>'
            f'<th>time</th></tr>{rows}</table></details>')


def _e(value: object) -> str:
    return html.escape(str(value))
