"""The nightly selector check: every page of every page object, opened read-only, every locator.

Vendors redeploy their consoles without notice; this check finds a renamed button before a
customer's refund does. For each page class it opens a fresh tab in one browser context (so the
Symantec login happens once), lets the page object reach its page (``open_for_check``, which
never clicks a side-effecting control) and counts what each locator that the page's states
demand matches: exactly one visible element (at least one for a family such as table rows).

Counting is immediate (``Locator.count()``), so a missing locator costs milliseconds, not the
run timeout; the only waits are the page object's own while opening, and a short one for the
page's heading. A console that cannot be reached is not drift: its pages are reported as not
checked and the exit code says the verdict is incomplete.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pages.base import Loc, NotReachable, PageObject, all_pages
from runner.config import CONSOLES, Config
from runner.errors import ConsoleError, DriftError, RunnerError
from runner.selectors.report import (
    AMBIGUOUS,
    EXIT_INCOMPLETE,
    MISSING,
    NOT_APPLICABLE,
    OK,
    PAGE_DRIFT,
    PAGE_ERROR,
    PAGE_OK,
    PAGE_SKIPPED,
    PAGE_UNREACHABLE,
    SKIPPED,
    UNCHECKED,
    CheckReport,
    LocatorResult,
    PageResult,
    write_html,
    write_junit,
)

if TYPE_CHECKING:
    from runner.browser.session import RunSession
    from runner.cli.app import App

# After open_for_check the page has loaded; this only covers a heading rendered a moment late.
HEADING_WAIT_MS = 2_000
Progress = Callable[[int, int, PageResult], None]


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
                pages: Iterable[type[PageObject]] | None = None) -> CheckReport:
    """Check every page (default: all page objects) in ``session``; never raises for a page."""
    report = CheckReport()
    classes = list(pages) if pages is not None else ordered_pages()
    started = time.perf_counter()
    for index, cls in enumerate(classes, 1):
        result = _check_page(session, config, cls, report.unreachable)
        report.pages.append(result)
        if progress is not None:
            progress(index, len(classes), result)
    report.duration_ms = _ms_since(started)
    return report


def _check_page(session: RunSession, config: Config, cls: type[PageObject],
                unreachable: dict[str, str]) -> PageResult:
    started = time.perf_counter()
    if cls.CONSOLE in unreachable:  # do not wait on a console that already failed
        result = _not_checked(cls, PAGE_UNREACHABLE, f"console {cls.CONSOLE} unreachable: "
                              f"{unreachable[cls.CONSOLE]}", blocked_by=cls.CONSOLE)
    else:
        try:
            _fresh_tabs(session)
            result = _open_and_check(session, config, cls, unreachable)
        except PlaywrightError as exc:  # the browser, not the page: an unanswered check, not
            # drift (an uncaught error would exit 1, which the nightly job reads as drift)
            first_line = exc.message.splitlines()[0] if exc.message else type(exc).__name__
            result = _not_checked(cls, PAGE_ERROR, f"browser error: {first_line}")
    result.duration_ms = _ms_since(started)
    return result


def _open_and_check(session: RunSession, config: Config, cls: type[PageObject],
                    unreachable: dict[str, str]) -> PageResult:
    """Open the page as its page object says; sort what can go wrong into page statuses."""
    try:
        states = cls.open_for_check(session, config.canary)
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
    if result.drift:
        result.status = PAGE_DRIFT
        result.screenshot = _screenshot(session, cls.CONSOLE)
    return result


def resolve(page_object: PageObject, name: str, states: Iterable[str]) -> LocatorResult:
    """Count what one declared locator matches on the page as it is now (no waiting)."""
    cls = type(page_object)
    spec = cls.locators()[name]
    result = LocatorResult(name, str(spec), OK, declared_in(cls, name))
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
    return result


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
                result.locators.append(LocatorResult(name, str(cls.locators()[name]), status,
                                                     declared_in(cls, name), message=exc.message))
            else:
                result.locators.append(resolve(page_object, name, {"always"}))
    else:
        owner_cls = {page_name(c): c for c in all_pages()}.get(owner)
        spec = owner_cls.locators().get(broken) if owner_cls else None
        result.locators.append(LocatorResult(
            f"{owner}.{broken}", str(spec) if spec else broken, status,
            declared_in(owner_cls, broken) if owner_cls and spec else f"{owner}.{broken}",
            message=exc.message))
        result.locators.extend(
            LocatorResult(name, str(spec), UNCHECKED, declared_in(cls, name),
                          message=f"page not reached: {owner}.{broken} broke on the way")
            for name, spec in cls.locators().items())
    result.screenshot = _screenshot(session, owner.partition(".")[0] or cls.CONSOLE)
    return result


def _not_checked(cls: type[PageObject], status: str, reason: str, *,
                 locator_status: str = UNCHECKED, blocked_by: str = "") -> PageResult:
    locators = [LocatorResult(name, str(spec), locator_status, declared_in(cls, name),
                              message=reason) for name, spec in cls.locators().items()]
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
    """What a person reads at the end of a run in a terminal."""
    totals = report.totals()
    lines = [f"{totals['pages']} pages: {totals['pages_ok']} ok, {totals['pages_drift']} with "
             f"drift, {totals['pages_skipped']} not reachable read-only, "
             f"{totals['pages_unreachable'] + totals['pages_error']} not checked; "
             f"{totals[OK]} locators ok, {totals[MISSING]} missing, {totals[AMBIGUOUS]} "
             f"ambiguous, {totals[NOT_APPLICABLE]} not applicable; {report.duration_ms} ms"]
    lines += [f"DRIFT {p.page}.{r.name} {r.status}: {r.locator} (declared in {r.declared_in})"
              for p, r in report.drift]
    lines += [f"{kind}: {path}" for kind, path in reports.items()]
    lines.append(f"exit {report.exit_code}: {report.message()}")
    return "\n".join(lines)


def run_check(app: App, *, as_json: bool = False, junit: str | None = None,
              html: str | None = None, echo: Callable[..., Any]) -> int:
    """The ``verify-selectors`` command: check, write the reports asked for, answer the exit code.

    Progress goes to stderr under ``--json`` so that stdout stays one JSON object.
    """

    def progress(index: int, total: int, page: PageResult) -> None:
        echo(progress_line(index, total, page), err=as_json)

    try:
        config = app.live_config()
        with app.host.session(config.artifacts / "selector-check", trace=False) as session:
            report = check_pages(session, config, progress)
    except RunnerError as exc:  # no browser, bad config: nothing was checked
        error = exc.to_dict()
        echo(json.dumps({"ok": False, "exit_code": EXIT_INCOMPLETE, "error": error}, indent=2)
             if as_json else f"error [{exc.kind}/{exc.code}]: {exc}")
        return EXIT_INCOMPLETE
    reports: dict[str, str] = {}
    if junit:
        write_junit(report, Path(junit))
        reports["junit"] = junit
    if html:
        write_html(report, Path(html))
        reports["html"] = html
    echo(json.dumps(report.to_dict(reports), indent=2) if as_json
         else summary_text(report, reports))
    return report.exit_code
