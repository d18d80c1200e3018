"""The nightly selector check: every page of every page object, opened read-only, every locator.

Vendors redeploy their consoles without notice; this check finds a renamed button before a
customer's refund does. For each page class it opens a fresh tab in one browser context (so the
Symantec login happens once), lets the page object reach its page (``open_for_check``, which
never clicks a side-effecting control) and counts what each locator that the page's states
demand matches: exactly one visible element (at least one for a family such as table rows).

Counting is immediate (``Locator.count()``), so a missing locator costs milliseconds, not the
run timeout; the only waits are the page object's own while opening, and a short one for the
page's heading. A console that cannot be reached is not drift: its pages are reported as not
checked and the exit code says the verdict is incomplete. How a page is opened without racing
the machine's speed (patient navigations, drift confirmed on the loaded page) is ``opening``'s.

A broken locator gets verified replacement proposals (``proposals``) while its page is still
open; each reached page's ARIA snapshot is kept for the comparison with the last passing night
(``baseline``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pages.base import Loc, NotReachable, PageObject, all_pages
from runner.config import CONSOLES, Config
from runner.errors import ConsoleError, DriftError, RunnerError
from runner.selectors import baseline
from runner.selectors.opening import open_page, patient_navigation
from runner.selectors.patch import where
from runner.selectors.proposals import propose
from runner.selectors.report import (
    AMBIGUOUS,
    MISSING,
    NOT_APPLICABLE,
    OK,
    PAGE_DRIFT,
    PAGE_ERROR,
    PAGE_OK,
    PAGE_SKIPPED,
    PAGE_STALE,
    PAGE_UNREACHABLE,
    SKIPPED,
    SOURCE_SNAPSHOT,
    UNCHECKED,
    CheckReport,
    LocatorResult,
    PageResult,
)
from runner.selectors.snapshot_page import render

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from runner.browser.session import RunSession
    from runner.store.snapshots import PageSnapshot

# After open_for_check the page has loaded; this only covers a heading rendered a moment late.
HEADING_WAIT_MS = 2_000
Progress = Callable[[int, int, PageResult], None]
STALE_AFTER = timedelta(days=7)  # the default of ``selectors.snapshot_stale_days``


@dataclass(frozen=True)
class Snapshots:
    """What runs last saw on the pages the night cannot open (``runner.store.snapshots``), and
    from what age a snapshot makes its page ``stale``."""

    pages: Mapping[str, PageSnapshot] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    stale_after: timedelta = STALE_AFTER


def page_name(cls: type[PageObject]) -> str:
    return f"{cls.CONSOLE}.{cls.__name__}"


def ordered_pages() -> list[type[PageObject]]:
    """Every page class in a stable order (console order of the config, then as declared).

    Stable so that two nightly reports can be compared line by line.
    """

    def key(cls: type[PageObject]) -> tuple[int, int]:
        console = CONSOLES.index(cls.CONSOLE) if cls.CONSOLE in CONSOLES else len(CONSOLES)
        return console, list(vars(sys.modules[cls.__module__])).index(cls.__name__)

    return sorted(all_pages(), key=key)


def declared_in(cls: type[PageObject], name: str) -> str:
    """Where locator ``name`` of ``cls`` is written (a mixin such as the Symantec menu is one
    place for several pages), e.g. ``symantec.MainMenu.quick_search_link``."""
    for klass in cls.__mro__:
        if isinstance(vars(klass).get(name), Loc):
            return f"{klass.__module__.rpartition('.')[2]}.{klass.__qualname__}.{name}"
    return f"{page_name(cls)}.{name}"


def check_pages(session: RunSession, config: Config, progress: Progress | None = None,
                pages: Iterable[type[PageObject]] | None = None,
                baseline_dir: Path | None = None,
                snapshots: Snapshots | None = None) -> CheckReport:
    """Check every page (default: all page objects) in ``session``; never raises for a page.

    With ``baseline_dir``, each page is compared with the last passing night kept there, and
    this night's snapshots are kept if it passes. A page the night cannot open is checked
    against what a run last saw there (``snapshots``), if a run has passed it.
    """
    report = CheckReport()
    classes = list(pages) if pages is not None else ordered_pages()
    seen = snapshots or Snapshots()
    started = time.perf_counter()
    with patient_navigation(session):
        for index, cls in enumerate(classes, 1):
            result = _check_page(session, config, cls, report.unreachable, seen)
            report.pages.append(result)
            if progress is not None:
                progress(index, len(classes), result)
    report.duration_ms = _ms_since(started)
    if baseline_dir is not None:
        baseline.compare(report, baseline_dir)
        if baseline.save(report, baseline_dir):
            report.baseline_saved = str(baseline_dir)
    return report


def _check_page(session: RunSession, config: Config, cls: type[PageObject],
                unreachable: dict[str, str], snapshots: Snapshots) -> PageResult:
    started = time.perf_counter()
    if cls.SNAPSHOT:  # what a run saw: no console is visited, so none can be down for it
        try:
            _fresh_tabs(session)
            result = _check_snapshot(session, cls, snapshots)
        except PlaywrightError as exc:
            result = _not_checked(cls, PAGE_ERROR, f"browser error: {_first_line(exc)}")
    elif cls.CONSOLE in unreachable:  # do not wait on a console that already failed
        result = _not_checked(cls, PAGE_UNREACHABLE, f"console {cls.CONSOLE} unreachable: "
                              f"{unreachable[cls.CONSOLE]}", blocked_by=cls.CONSOLE)
    else:
        try:
            _fresh_tabs(session)
            result = _open_and_check(session, config, cls, unreachable)
        except PlaywrightError as exc:  # the browser, not the page: an unanswered check, not
            # drift (an uncaught error would exit 1, which the nightly job reads as drift)
            result = _not_checked(cls, PAGE_ERROR, f"browser error: {_first_line(exc)}")
    result.duration_ms = _ms_since(started)
    return result


def _first_line(exc: PlaywrightError) -> str:
    return exc.message.splitlines()[0] if exc.message else type(exc).__name__


def _check_snapshot(session: RunSession, cls: type[PageObject],
                    snapshots: Snapshots) -> PageResult:
    """Resolve the page's locators against the latest snapshot a run kept of it.

    The snapshot is rendered into the console's tab as a static page (``snapshot_page``), so
    the locators are counted, and broken ones get proposals, exactly as on a live page. Only
    the "always" state is demanded: the snapshot does not say which states the page showed.
    A page no run passed for ``stale_after`` is ``stale``: checked, but a warning.
    """
    name = page_name(cls)
    kept = snapshots.pages.get(name)
    if kept is None:
        result = _not_checked(cls, PAGE_SKIPPED, f"{name} {cls.UNREACHABLE}; no run has "
                              "passed it yet (a run that does keeps its snapshot)",
                              locator_status=SKIPPED)
        result.source = SOURCE_SNAPSHOT
        return result
    tab = session.page(cls.CONSOLE)
    tab.set_content(render(kept.snapshot, title=f"{name} as seen by {kept.run_id}"))
    page_object = cls(tab, session.base_url(cls.CONSOLE))
    age = snapshots.now - kept.taken_at
    result = PageResult(name, cls.CONSOLE, PAGE_OK, states=["always"], url=kept.url,
                        locators=[resolve(page_object, n, {"always"}) for n in cls.locators()],
                        source=SOURCE_SNAPSHOT, snapshot_run_id=kept.run_id,
                        snapshot_taken_at=kept.taken_at.isoformat(timespec="seconds"),
                        snapshot_age_s=max(0, round(age.total_seconds())))
    result.aria = kept.snapshot
    if age > snapshots.stale_after:
        result.status = PAGE_STALE
        result.reason = (f"no run has passed it for {result.snapshot_age} (more than "
                         f"{snapshots.stale_after.days} days); checked against the snapshot "
                         f"{kept.run_id} took at {result.snapshot_taken_at}")
    if result.drift:
        result.status = PAGE_DRIFT
        result.screenshot = _rendered_screenshot(tab)
    return result


def _rendered_screenshot(tab: Page) -> bytes | None:
    """The rendered snapshot as the report's picture (the page itself was a run's)."""
    try:
        return tab.screenshot(full_page=True)
    except PlaywrightError:
        return None


def _open_and_check(session: RunSession, config: Config, cls: type[PageObject],
                    unreachable: dict[str, str]) -> PageResult:
    """Open the page as its page object says; sort what can go wrong into page statuses."""
    try:
        states = open_page(session, config, cls)
    except NotReachable as exc:
        return _not_checked(cls, PAGE_SKIPPED, str(exc), locator_status=SKIPPED)
    except ConsoleError as exc:
        console = _console_of(exc, cls)
        where = exc.context.get("url")
        unreachable.setdefault(console, f"{exc.message} ({where})" if where else exc.message)
        result = _not_checked(cls, PAGE_UNREACHABLE,
                              f"console {console} unreachable: {unreachable[console]}",
                              blocked_by=console)
        result.screenshot = _screenshot(session, console)
        return result
    except DriftError as exc:
        return _drift_while_opening(session, cls, exc)
    except RunnerError as exc:  # no canary order, login refused: nothing to check against
        result = _not_checked(cls, PAGE_ERROR, str(exc))
        result.screenshot = _screenshot(session, cls.CONSOLE)
        return result
    page_object = cls.of(session)
    _wait_for_heading(page_object, states)
    result = PageResult(page_name(cls), cls.CONSOLE, PAGE_OK, states=sorted(states),
                        url=page_object.page.url,
                        locators=[resolve(page_object, name, states) for name in cls.locators()])
    result.aria = _aria(page_object)
    if result.drift:
        result.status = PAGE_DRIFT
        result.screenshot = _screenshot(session, cls.CONSOLE)
    return result


def resolve(page_object: PageObject, name: str, states: Iterable[str]) -> LocatorResult:
    """Count what one declared locator matches on the page as it is now (no waiting)."""
    cls = type(page_object)
    spec = cls.locators()[name]
    result = _result(cls, name, OK)
    if not cls.checks_state(name, states):
        result.status = NOT_APPLICABLE
        result.message = f"state {spec.state!r} not shown on this page"
        return result
    started = time.perf_counter()
    locator = page_object.loc(name)
    result.count = locator.count()
    result.visible = locator.filter(visible=True).count() if result.count else 0
    result.duration_ms = _ms_since(started)
    if result.visible == 0:
        result.status = MISSING
        result.message = ("matched no element" if result.count == 0
                          else f"matched {result.count} element(s), none visible")
    elif result.visible > 1 and not spec.many:
        result.status = AMBIGUOUS
        result.message = f"matched {result.visible} visible elements, expected exactly one"
    if result.is_drift:
        result.proposals = propose(page_object, name)
    return result


def _result(cls: type[PageObject], name: str, status: str, message: str = "") -> LocatorResult:
    """A locator's result with where it is declared (class and ``file:line``) and what it names."""
    spec = cls.locators()[name]
    kwargs = dict(spec.kwargs)
    target = {"get_by_role": (str(spec.args[0]), str(kwargs.get("name", ""))),
              "get_by_label": ("field", str(spec.args[0])),
              "get_by_alt_text": ("img", str(spec.args[0]))}.get(spec.method, ("", ""))
    return LocatorResult(name, str(spec), status, declared_in(cls, name), message=message,
                         where=where(spec), target=target, money=spec.money)


def _aria(page_object: PageObject) -> str:
    """The page's accessibility tree as checked (for the baseline); empty if unreadable."""
    try:
        return page_object.page.locator("body").aria_snapshot()
    except PlaywrightError:
        return ""


def _drift_while_opening(session: RunSession, cls: type[PageObject],
                         exc: DriftError) -> PageResult:
    """A locator broke on the way in: report it as such, and check the rest if we got there.

    When the broken locator is this page's own, the tab shows this page: its other locators
    are checked as they stand (only the "always" state can be assumed). When it belongs to a
    page on the way (the search that finds the canary order), this page was never reached.
    """
    owner = str(exc.context.get("page") or page_name(cls))
    broken = str(exc.context.get("locator") or "open_for_check")
    status = AMBIGUOUS if exc.code == "locator_ambiguous" else MISSING
    result = PageResult(page_name(cls), cls.CONSOLE, PAGE_DRIFT, url=str(exc.context.get(
        "url", "")), reason=f"opening the page failed: {exc.message}")
    if owner == page_name(cls) and broken in cls.locators():
        page_object = cls.of(session)
        result.states = ["always"]
        for name in cls.locators():
            if name == broken:
                broken_result = _result(cls, name, status, exc.message)
                broken_result.proposals = propose(page_object, name)
                result.locators.append(broken_result)
            else:
                result.locators.append(resolve(page_object, name, {"always"}))
        result.aria = _aria(page_object)
    else:
        result.locators.append(_broken_on_the_way(session, owner, broken, status, exc))
        result.locators.extend(
            _result(cls, name, UNCHECKED, f"page not reached: {owner}.{broken} broke on the way")
            for name in cls.locators())
    result.screenshot = _screenshot(session, owner.partition(".")[0] or cls.CONSOLE)
    return result


def _broken_on_the_way(session: RunSession, owner: str, broken: str, status: str,
                       exc: DriftError) -> LocatorResult:
    """The locator of the page on the way (e.g. the PM results table), proposals included:
    the tab still shows that page."""
    owner_cls = {page_name(c): c for c in all_pages()}.get(owner)
    if owner_cls is None or broken not in owner_cls.locators():
        return LocatorResult(f"{owner}.{broken}", broken, status, f"{owner}.{broken}",
                             message=exc.message)
    result = _result(owner_cls, broken, status, exc.message)
    result.name = f"{owner}.{broken}"
    result.proposals = propose(owner_cls.of(session), broken)
    return result


def _not_checked(cls: type[PageObject], status: str, reason: str, *,
                 locator_status: str = UNCHECKED, blocked_by: str = "") -> PageResult:
    locators = [_result(cls, name, locator_status, reason) for name in cls.locators()]
    return PageResult(page_name(cls), cls.CONSOLE, status, locators=locators, reason=reason,
                      blocked_by=blocked_by)


def _console_of(exc: ConsoleError, cls: type[PageObject]) -> str:
    """The console that failed: the page in the error (the PM search, for a Symantec page)."""
    console = str(exc.context.get("page", "")).partition(".")[0]
    return console if console in CONSOLES else cls.CONSOLE


def _fresh_tabs(session: RunSession) -> None:
    """Close every tab: each page starts in a new foreground tab with nothing left over from
    the page before (the session's cookies, hence the Symantec login, stay)."""
    for tab in list(session.context.pages):
        tab.close()


def _wait_for_heading(page_object: PageObject, states: Iterable[str]) -> None:
    if "heading" not in page_object.locators() or not page_object.checks_state("heading",
                                                                                states):
        return
    try:
        page_object.loc("heading").first.wait_for(state="visible", timeout=HEADING_WAIT_MS)
    except PlaywrightTimeout:
        return  # resolve() reports the heading as missing; nothing else to do here


def _screenshot(session: RunSession, console: str) -> bytes | None:
    """The console's tab as it stands, for the HTML report (None if there is nothing to show)."""
    tabs = [t for t in session.context.pages if not t.is_closed()]
    if console not in CONSOLES or not tabs:
        return None
    tab = session.page(console)
    if tab.url == "about:blank":
        return None
    try:
        return tab.screenshot(full_page=True)
    except PlaywrightError:
        return None  # a crashed tab: the report still names the problem, without a picture


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
