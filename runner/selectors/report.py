"""What a selector check found, and its JSON; JUnit XML and HTML are written by their modules.

Kept apart from the walk (``runner.selectors.check``) so that the walk only decides statuses and
this module only words them: CI reads the JUnit file (``junit``), a person reads the HTML page
(``html``, with a screenshot of every page where something is wrong), an agent or cron reads
the JSON, and the headline says in one line what was checked and what was not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runner.selectors.baseline import Change
    from runner.selectors.proposals import Proposal

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

# What every report says beside a broken locator whose click has a side effect (``money=True``
# in its page object): a renamed Refund button is never healed quietly.
MONEY_REVIEW = "money control: needs review"

# Page statuses. "unreachable" and "error" make the check incomplete (exit 2).
PAGE_OK = "ok"
PAGE_DRIFT = "drift"
PAGE_SKIPPED = "skipped"
PAGE_UNREACHABLE = "unreachable"  # a console answered 5xx / refused / timed out
PAGE_ERROR = "error"  # opened nothing for another reason (no canary order, login refused)
PAGE_STALE = "stale"  # checked against a run's snapshot older than allowed: a warning
INCOMPLETE = (PAGE_UNREACHABLE, PAGE_ERROR)
CHECKED = (PAGE_OK, PAGE_DRIFT, PAGE_STALE)
# How a page is checked: opened by the night, or read from what a run last saw there.
SOURCE_LIVE = "live"
SOURCE_SNAPSHOT = "snapshot"


def age_text(seconds: int) -> str:
    """``3 min``, ``5 h``, ``9 d``: a snapshot's age as the on-call engineer reads it."""
    if seconds < 60:
        return "under a minute"
    for unit, size in (("d", 86_400), ("h", 3_600)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds // 60} min"


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
    where: str = ""  # "pages/symantec.py:42": the declaring line
    target: tuple[str, str] = ("", "")  # (role, name) it names, "field" for a label
    proposals: list[Proposal] = field(default_factory=list)
    money: bool = False  # its click has a side effect: any fix needs a person's review

    @property
    def is_drift(self) -> bool:
        return self.status in DRIFT_STATUSES

    @property
    def review(self) -> str:
        """``MONEY_REVIEW`` when this locator is broken and clicks a side effect, else empty."""
        return MONEY_REVIEW if self.money and self.is_drift else ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "locator": self.locator, "status": self.status,
                "declared_in": self.declared_in, "count": self.count, "visible": self.visible,
                "duration_ms": self.duration_ms, "message": self.message, "where": self.where,
                "money": self.money, "review": self.review,
                "proposals": [{**p.to_dict(), "review": self.review} for p in self.proposals]}


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
    screenshot_path: str = ""  # where it was saved (absolute), once saved
    aria: str = ""  # the page's ARIA snapshot as checked (kept as baseline on a passing night)
    changes: list[Change] = field(default_factory=list)  # since the last passing night
    baseline: str = ""  # the stored snapshot compared with
    source: str = SOURCE_LIVE  # live, or snapshot (what a run last saw: see ``snapshot_*``)
    snapshot_run_id: str = ""
    snapshot_taken_at: str = ""
    snapshot_age_s: int | None = None

    @property
    def snapshot_age(self) -> str:
        return age_text(self.snapshot_age_s) if self.snapshot_age_s is not None else ""

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
                "duration_ms": self.duration_ms, "screenshot": self.screenshot_path or None,
                "changes": [c.to_dict() for c in self.changes], "baseline": self.baseline,
                "source": self.source, "snapshot": self._snapshot_dict(),
                "locators": [r.to_dict() for r in self.locators]}

    def _snapshot_dict(self) -> dict[str, Any] | None:
        if not self.snapshot_taken_at:
            return None
        return {"run_id": self.snapshot_run_id, "taken_at": self.snapshot_taken_at,
                "age_s": self.snapshot_age_s, "age": self.snapshot_age}


@dataclass
class CheckReport:
    """The whole check; its exit code is the contract cron and CI act on."""

    pages: list[PageResult] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)  # console -> what it answered
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(
        timespec="seconds"))
    duration_ms: int = 0
    baseline_saved: str = ""  # where this night's snapshots were kept (a passing night only)

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
               (PAGE_OK, PAGE_DRIFT, PAGE_STALE, PAGE_SKIPPED, PAGE_UNREACHABLE, PAGE_ERROR)},
            "pages_live": sum(p.source == SOURCE_LIVE for p in self.pages),
            "pages_snapshot": sum(p.source == SOURCE_SNAPSHOT for p in self.pages),
            "locators": sum(locator_counts.values()),
            **{s: locator_counts[s] for s in LOCATOR_STATUSES},
        }

    @property
    def skipped(self) -> list[PageResult]:
        """Pages only a person can reach (behind the image number, or an email)."""
        return [p for p in self.pages if p.status == PAGE_SKIPPED]

    @property
    def changes(self) -> list[tuple[PageResult, Change]]:
        return [(p, c) for p in self.pages for c in p.changes]

    @property
    def stale(self) -> list[PageResult]:
        """Pages checked against a snapshot older than allowed: no run passed them lately."""
        return [p for p in self.pages if p.status == PAGE_STALE]

    def headline(self) -> str:
        """One line: what was checked (live pages and run snapshots apart), what was not and
        why, how long it took."""
        totals = self.totals()
        checked = [p for p in self.pages if p.status in CHECKED]
        locators = totals[OK] + totals[MISSING] + totals[AMBIGUOUS]
        line = (f"{len(checked)} of {len(self.pages)} pages checked ({totals['pages_drift']} "
                f"with drift): {self._by_source(SOURCE_LIVE, 'live')}, "
                f"{self._by_source(SOURCE_SNAPSHOT, 'from run snapshots')}; "
                f"{locators} locators checked ({len(self.drift)} broken) "
                f"in {self.duration_ms / 1000:.1f} s")
        not_checked = [f"{p.page} ({p.status}: {p.reason})"
                       for p in self.pages if p not in checked]
        if not_checked:
            line += f"; not checked: {'; '.join(not_checked)}"
        if self.changes:
            line += f"; {len(self.changes)} change(s) since the last passing night"
        if self.money_reviews():
            line += f"; {len(self.money_reviews())} {MONEY_REVIEW}"
        return line

    def _by_source(self, source: str, words: str) -> str:
        """``10 of 10 live``; ``5 of 5 from run snapshots (1 stale, oldest 9 d)``."""
        pages = [p for p in self.pages if p.source == source]
        checked = [p for p in pages if p.status in CHECKED]
        text = f"{len(checked)} of {len(pages)} {words}"
        ages = [p.snapshot_age_s for p in pages if p.snapshot_age_s is not None]
        if source == SOURCE_SNAPSHOT and ages:
            text += f" ({sum(p.status == PAGE_STALE for p in pages)} stale, oldest " \
                    f"{age_text(max(ages))})"
        return text

    def proposals(self) -> list[tuple[PageResult, LocatorResult]]:
        """Each broken declaration once, with the proposals of its first broken page."""
        seen: dict[str, tuple[PageResult, LocatorResult]] = {}
        for page, result in self.drift:
            key = result.where or result.declared_in
            if key not in seen or (result.proposals and not seen[key][1].proposals):
                seen[key] = (page, result)
        return list(seen.values())

    def money_reviews(self) -> list[tuple[PageResult, LocatorResult]]:
        """Broken money controls, each declaration once: what a person must review by hand."""
        return [(p, r) for p, r in self.proposals() if r.review]

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
        stale = [f"{p.page} (last seen {p.snapshot_age} ago)" for p in self.stale]
        if not parts:
            totals = self.totals()
            text = (f"all {totals[OK]} locators resolve on {len(self.pages) - len(self.skipped)}"
                    f" pages ({totals['pages_snapshot'] - len(self.skipped)} of them as a run "
                    "last saw them)")
            if self.skipped:
                text += (f"; {len(self.skipped)} pages not checked: no run has passed them "
                         "yet, and the night cannot open them")
            return text + (f"; warning, stale: {', '.join(stale)}" if stale else "")
        if stale:
            parts.append(f"warning, stale: {', '.join(stale)}")
        if self.not_checked:
            parts.append("the check is incomplete")
        return "; ".join(parts)

    def _drift_sentence(self) -> str:
        """Drift by declaration, each with the pages it broke on: one line per fix to make."""
        where: dict[str, list[str]] = {}
        for page, result in self.drift:
            where.setdefault(result.declared_in, []).append(f"{page.page} ({result.status})")
        fixes = "; ".join(f"{decl} on {', '.join(pages)}" for decl, pages in sorted(where.items()))
        sentence = (f"drift: {len(where)} declared locator(s) broken, {len(self.drift)} "
                    f"(page, locator) pair(s): {fixes}")
        money = [r.declared_in for _, r in self.money_reviews()]
        if money:
            sentence += f"; {MONEY_REVIEW}: {', '.join(money)} (clicks a side effect: check " \
                        "by hand that the new control does the same before applying a fix)"
        return sentence

    def to_dict(self, reports: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "ok": self.exit_code == EXIT_OK,
            "exit_code": self.exit_code,
            "headline": self.headline(),
            "message": self.message(),
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "totals": self.totals(),
            "unreachable": self.unreachable,
            "not_checked": [p.page for p in self.not_checked],
            "skipped": {p.page: p.reason for p in self.skipped},
            "stale": {p.page: p.reason for p in self.stale},
            "drift": [{"page": p.page, "locator": r.name, "status": r.status,
                       "selector": r.locator, "declared_in": r.declared_in, "where": r.where,
                       "message": r.message, "money": r.money, "review": r.review,
                       "proposals": [{**x.to_dict(), "review": r.review} for x in r.proposals]}
                      for p, r in self.drift],
            "needs_review": [{"declared_in": r.declared_in, "where": r.where, "page": p.page,
                              "review": r.review} for p, r in self.money_reviews()],
            "broken_declarations": self.broken_declarations(),
            "changes": [{"page": p.page, **c.to_dict()} for p, c in self.changes],
            "baseline_saved": self.baseline_saved,
            "reports": reports or {},
            "pages": [p.to_dict() for p in self.pages],
        }
