"""What every page object shares: declared locators, a page base class and the action registry.

Locators are declared once, as class attributes, so that the nightly selector check can
enumerate them without running any action; each page class says how to reach an instance of
itself read-only (``open_for_check``, or ``NotReachable`` when only a person can) and which of
its locators the states it reached demand (``checks_state``).

Actions are registered with their effect (read-only or side-effecting) so that flow validation
can refuse a side effect before the refund gate and the executor can put every side effect
through the ledger.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pages.locators import Loc, alt, form_field, label, role, text
from runner.actions import ActionContext, note, page_witness
from runner.errors import ConsoleError, DriftError, ErrorCode, InputError
from runner.logs import get_logger

if TYPE_CHECKING:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Locator, Page, Response


class _Lazy:
    """A module imported on first attribute use.

    Importing ``playwright.sync_api`` takes about half a second; declaring actions (and so
    validating a flow or printing ``--help``) must not pay it. An ``except pw.TimeoutError``
    clause is only evaluated once an exception is raised, by when a browser is running anyway.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


pw = _Lazy("playwright.sync_api")
# Declared in pages.locators; page modules (and the selector check's proposals) import them here.
__all__ = ["Loc", "alt", "form_field", "label", "role", "text"]


class NotReachable(Exception):
    """The page cannot be opened read-only without a person (behind a captcha, needs a mail)."""


P = TypeVar("P", bound="PageObject")
SNAPSHOT_TIMEOUT_MS = 5_000  # the page is there when ``seen`` is called: this only bounds it


class PageObject:
    """One page of one console. Subclasses set CONSOLE, PATH and declare Loc attributes.

    A page object reads a page or changes it and returns plain data; it never asserts.
    """

    CONSOLE: ClassVar[str] = ""
    PATH: ClassVar[str] = "/"
    TITLE: ClassVar[str] = ""
    CHECK_BY_URL: ClassVar[bool] = False  # the selector check reaches it at PATH, read-only
    UNREACHABLE: ClassVar[str] = "declares no read-only way in"  # why only a person can
    # The check cannot open it, so runs that pass it keep its accessibility snapshot (``seen``)
    # and the check reads its locators from the latest one.
    SNAPSHOT: ClassVar[bool] = False

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse, at import, a ``within=`` that names no locator of the page (a misspelling)."""
        super().__init_subclass__(**kwargs)
        declared = cls.locators()
        for name, spec in declared.items():
            if spec.within is not None and spec.within not in declared:
                raise TypeError(f"{cls.__qualname__}.{name}: within={spec.within!r} names no "
                                f"locator of the page")

    @classmethod
    def locators(cls) -> dict[str, Loc]:
        """Every locator this page declares, by attribute name (the nightly check walks these)."""
        found: dict[str, Loc] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Loc):
                    found[name] = value
        return found

    @classmethod
    def name_of(cls, target: Loc) -> str:
        """The attribute name a declared locator has on this page (for errors and reports).

        Found by identity, so a locator replaced on the class (a test's monkeypatch) is named
        as well as one written in the class body.
        """
        for name, spec in cls.locators().items():
            if spec is target:
                return name
        raise LookupError(f"{cls.__qualname__} declares no locator {target}")

    def loc(self, target: Loc | str) -> Locator:
        """The live Playwright locator, scoped as declared.

        Page code passes the declared attribute (``self.loc(self.refund_button)``), which mypy
        checks; the selector check, which enumerates ``locators()``, passes the name.
        """
        spec = self.locators()[target] if isinstance(target, str) else target
        root: Page | Locator = self.loc(spec.within) if spec.within else self.page
        return spec.build(root)

    def url(self, **params: str) -> str:
        return self.base_url + self.PATH.format(**params)

    @property
    def name(self) -> str:
        return f"{self.CONSOLE}.{type(self).__name__}"

    def goto(self, url: str | None = None, **params: str) -> Response | None:
        """Open this page; a refused connection or a 5xx answer is a console error, not drift."""
        target = url or self.url(**params)
        note("goto", page=self.name, url=target)
        try:
            response = self.page.goto(target)
        except pw.TimeoutError:
            raise ConsoleError(f"{self.CONSOLE} did not answer in time",
                               code=ErrorCode.CONSOLE_TIMEOUT,
                               page=self.name, url=target) from None
        except pw.Error as exc:
            raise ConsoleError(f"{self.CONSOLE} cannot be reached: {exc.message.splitlines()[0]}",

                               code=ErrorCode.CONSOLE_UNREACHABLE,
                               page=self.name, url=target) from None
        note("loaded", page=self.name, status=response.status if response else None)
        self.check_response(response)
        return response

    def goto_known(self, missing: str, code: ErrorCode, **params: str) -> None:
        """Open this page for one thing the ticket names; a 404 is an input error saying
        ``missing`` (the console lacks it), not a console fault."""
        response = self.goto(**params)
        if response is not None and response.status == 404:
            raise InputError(missing, code=code, page=self.name, url=self.page.url)

    def check_response(self, response: Response | None) -> None:
        """Turn a console's server error page into a ConsoleError naming page and URL."""
        if response is not None and response.status >= 500:
            raise ConsoleError(f"{self.CONSOLE} answered HTTP {response.status}",

                               code=ErrorCode.CONSOLE_SERVER_ERROR,
                               page=self.name, url=response.url)

    def submit(self, target: Loc, control: Locator | None = None) -> Response | None:
        """Click a control that loads a new page, and check the console answered it.

        Playwright's click waits for its control by itself, so a control is looked for first
        (``find``) only when the click cannot be: a money control, whose absence must be
        known before anything is clicked (``control``, found by the caller, who marks such a
        failure not clicked). Any other control is clicked at once, and looked for only when
        that click could not be made (it never reached the page: nothing was sent): missing
        or ambiguous is then drift, named precisely; a control that came late is clicked then.
        """
        if control is None and not target.money:
            try:
                return self._click_to_load(target, self.loc(target), looked=False)
            except _NotClickable:
                control = self.find(target, timeout_ms=WAITED_MS)
        return self._click_to_load(target, control or self.find(target), looked=True)

    def _click_to_load(self, target: Loc, control: Locator, looked: bool) -> Response | None:
        note("click", page=self.name, locator=self.name_of(target))
        try:
            # The navigation's wait is the patient one: the click itself must not also wait (with
            # the short element timeout) for a slow console's answer to start loading.
            with self.page.expect_navigation() as navigation:
                try:
                    control.click(no_wait_after=True)
                except pw.Error as exc:
                    if looked:
                        raise
                    raise _NotClickable from exc
        except pw.TimeoutError:
            raise ConsoleError(f"{self.CONSOLE} did not answer in time after "
                               f"{self.name_of(target)}", code=ErrorCode.CONSOLE_TIMEOUT,
                               page=self.name, url=self.page.url) from None
        response = navigation.value
        note("loaded", page=self.name, url=self.page.url,
             status=response.status if response else None)
        self.check_response(response)
        return response

    def fill(self, target: Loc, value: str) -> None:
        """Type ``value`` into a declared field (never noted: it may be a password).

        Playwright's fill waits for its field by itself; the field is looked for (``find``)
        only when that fill could not be made, so a missing field is still drift named
        precisely, and a field that came late is filled then (filling again is harmless)."""
        note("fill", page=self.name, locator=self.name_of(target))
        try:
            self.loc(target).fill(value)
        except pw.Error:
            self.find(target, timeout_ms=WAITED_MS).fill(value)

    def visible_now(self, target: Loc) -> Locator | None:
        """The declared element if it is visible now (one look, no wait), else None; several
        are drift, as for ``find``."""
        locator = self.loc(target)
        note("look", page=self.name, locator=self.name_of(target))
        try:
            return locator if locator.is_visible() else None
        except pw.Error as exc:
            self._several(target, exc)
            raise

    def find(self, target: Loc, timeout_ms: float | None = None) -> Locator:
        """The declared element, once visible; missing or ambiguous is drift, named precisely."""
        locator = self.loc(target)
        note("find", page=self.name, locator=self.name_of(target))
        try:
            if not self.appears(locator, timeout_ms):
                raise self.drift(target, "matched no visible element", ErrorCode.LOCATOR_MISSING)
        except pw.Error as exc:
            self._several(target, exc)
            raise
        return locator

    def _several(self, target: Loc, exc: PlaywrightError) -> None:
        """Playwright's refusal of a locator that matched several elements, as drift on it."""
        if "strict mode violation" in exc.message:
            raise self.drift(target, "matched several elements",
                             ErrorCode.LOCATOR_AMBIGUOUS) from None

    def appears(self, locator: Locator, timeout_ms: float | None = None) -> bool:
        """Whether ``locator`` is visible within the element timeout, or on the loaded page.

        The element timeout may be short, so that drift fails fast; on a busy machine it can
        run out while the page is still coming. So an element is missing only when it is not
        there once the tab has finished loading (which waits the patient navigation timeout).
        """
        try:
            # A look first, as in first_visible: cheaper than a wait, and strict like it.
            if locator.is_visible():
                return True
            locator.wait_for(state="visible", timeout=timeout_ms)
            return True
        except pw.TimeoutError:
            self.loaded()
            return locator.is_visible()

    def loaded(self) -> None:
        """Wait until the tab has finished loading; a page that never does is the console's
        fault (``console_timeout``), not drift."""
        try:
            self.page.wait_for_load_state("load")
        except pw.TimeoutError:
            raise ConsoleError(f"{self.CONSOLE} did not finish loading the page in time",
                               code=ErrorCode.CONSOLE_TIMEOUT,
                               page=self.name, url=self.page.url) from None

    @classmethod
    def of(cls: type[P], ctx: ActionContext) -> P:
        """This page in the run's tab for its console."""
        return cls(ctx.page(cls.CONSOLE), ctx.base_url(cls.CONSOLE))

    def sub(self, target: Loc, root: Locator) -> Locator:
        """A declared locator built inside ``root`` (e.g. a cell of one table row)."""
        return target.build(root)

    def seen(self) -> None:
        """This page is on the tab: a ``SNAPSHOT`` page tells the action's witness what it
        looks like (its ARIA snapshot), so the nightly check can read its locators.

        Costs one accessibility-tree read of a small page (a few ms) and only where a witness
        listens; a tab that cannot be read is logged, never a failed run.
        """
        witness = page_witness()
        if witness is None or not self.SNAPSHOT:
            return
        try:
            snapshot = self.page.locator("body").aria_snapshot(timeout=SNAPSHOT_TIMEOUT_MS)
        except pw.Error as exc:
            get_logger().warning("page_snapshot_failed", page=self.name,
                                 error=exc.message.splitlines()[0] if exc.message else "")
            return
        witness.saw(self.name, self.page.url, snapshot)

    def drift(self, target: Loc, problem: str,
              code: ErrorCode = ErrorCode.PAGE_DRIFT) -> DriftError:
        """A DriftError naming this page and one of its declared locators.

        What the tab shows is kept as this page's snapshot (``seen``): the night then reports
        the drift on a page it cannot open, with a proposal.
        """
        self.seen()
        name = self.name_of(target)
        note("drift", page=self.name, locator=name, problem=problem)
        return DriftError(f"page {self.name}: locator {name} = {target} {problem}",
                          code=code, page=self.name, locator=name, url=self.page.url)

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        """Open an instance of this page read-only; answer the Loc states present on it.

        Never clicks a side-effecting control. A page with ``CHECK_BY_URL`` is opened at its
        PATH; a page that needs more overrides this; any other raises NotReachable saying
        why only a person reaches it (``UNREACHABLE``).
        """
        if cls.CHECK_BY_URL:
            cls.of(ctx).goto()
            return {"always"}
        raise NotReachable(f"{cls.CONSOLE}.{cls.__name__} {cls.UNREACHABLE}")

    @classmethod
    def checks_state(cls, name: str, present: Iterable[str]) -> bool:
        """Whether the selector check demands locator ``name`` on a page in states ``present``.

        A locator is demanded when its own state is present and so is its scope's (``within``).
        """
        spec = cls.locators()[name]
        states = set(present)
        if spec.state not in states:
            return False
        return spec.within is None or cls.checks_state(spec.within, states)


# The wait of a look after an action that already waited its element timeout in vain: the
# page's load is still waited for (``appears``), the element timeout not a second time.
WAITED_MS = 1


class _NotClickable(Exception):
    """A click Playwright could not make (its control not there in time, or several): nothing
    reached the page."""


def texts(locator: Locator) -> list[str]:
    """The text of every element matched, whitespace collapsed.

    Text content rather than rendered text: CSS (``text-transform: uppercase`` on table
    headers) changes what is painted, not what the page says.
    """
    return [" ".join(t.split()) for t in locator.all_text_contents()]


def text_of(locator: Locator) -> str:
    """The text of the one element matched, whitespace collapsed (see ``texts``)."""
    return " ".join((locator.text_content() or "").split())


def all_pages() -> Iterator[type[PageObject]]:
    """Every page-object class, for the selector check."""
    import pages  # noqa: F401  (importing registers every console module)

    seen: set[type[PageObject]] = set()
    stack = list(PageObject.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.add(cls)
            stack.extend(cls.__subclasses__())
            if cls.CONSOLE:
                yield cls
