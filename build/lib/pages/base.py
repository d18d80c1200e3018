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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from runner.actions import ActionContext
from runner.errors import ConsoleError, DriftError

if TYPE_CHECKING:
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


@dataclass(frozen=True)
class Loc:
    """A locator as written: how to build it, and its text for reports.

    ``state`` names the page state in which the element is expected ("always", or e.g.
    "refundable"): the selector check only demands it when it reached the page in that state.
    ``many`` marks a locator that names a family (table rows, list terms): the check demands
    at least one visible element instead of exactly one.
    """

    method: str  # get_by_role | get_by_label | get_by_text | get_by_alt_text | locator
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()
    within: str | None = None  # name of another Loc on the same page that scopes this one
    state: str = "always"
    many: bool = False

    def build(self, root: Page | Locator) -> Locator:
        locator: Locator = getattr(root, self.method)(*self.args, **dict(self.kwargs))
        return locator

    def __str__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        text = f"{self.method}({', '.join(parts)})"
        return f"{self.within} >> {text}" if self.within else text


def role(role_name: str, name: str | None = None, *, exact: bool = True, within: str | None = None,
         state: str = "always", level: int | None = None, many: bool = False) -> Loc:
    kw: tuple[tuple[str, Any], ...] = (("name", name), ("exact", exact)) if name else ()
    if level is not None:
        kw += (("level", level),)
    return Loc("get_by_role", (role_name,), kw, within, state, many)


def label(text: str, *, exact: bool = True, within: str | None = None, state: str = "always",
          many: bool = False) -> Loc:
    return Loc("get_by_label", (text,), (("exact", exact),), within, state, many)


def text(value: str, *, exact: bool = False, within: str | None = None, state: str = "always",
         many: bool = False) -> Loc:
    return Loc("get_by_text", (value,), (("exact", exact),), within, state, many)


def alt(value: str, *, within: str | None = None, state: str = "always", many: bool = False) -> Loc:
    return Loc("get_by_alt_text", (value,), (("exact", True),), within, state, many)


class NotReachable(Exception):
    """The page cannot be opened read-only without a person (behind a captcha, needs a mail)."""


P = TypeVar("P", bound="PageObject")


class PageObject:
    """One page of one console. Subclasses set CONSOLE, PATH and declare Loc attributes.

    A page object reads a page or changes it and returns plain data; it never asserts.
    """

    CONSOLE: ClassVar[str] = ""
    PATH: ClassVar[str] = "/"
    TITLE: ClassVar[str] = ""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    @classmethod
    def locators(cls) -> dict[str, Loc]:
        """Every locator this page declares, by attribute name (the nightly check walks these)."""
        found: dict[str, Loc] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Loc):
                    found[name] = value
        return found

    def loc(self, name: str) -> Locator:
        """The live Playwright locator for a declared name, scoped as declared."""
        spec = self.locators()[name]
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
        try:
            response = self.page.goto(target)
        except pw.TimeoutError:
            raise ConsoleError(f"{self.CONSOLE} did not answer in time", code="console_timeout",
                               page=self.name, url=target) from None
        except pw.Error as exc:
            raise ConsoleError(f"{self.CONSOLE} cannot be reached: {exc.message.splitlines()[0]}",
                               code="console_unreachable", page=self.name, url=target) from None
        self.check_response(response)
        return response

    def check_response(self, response: Response | None) -> None:
        """Turn a console's server error page into a ConsoleError naming page and URL."""
        if response is not None and response.status >= 500:
            raise ConsoleError(f"{self.CONSOLE} answered HTTP {response.status}",
                               code="console_server_error", page=self.name, url=response.url)

    def submit(self, name: str) -> Response | None:
        """Click a control that loads a new page, and check the console answered it."""
        control = self.find(name)
        try:
            with self.page.expect_navigation() as navigation:
                control.click()
        except pw.TimeoutError:
            raise ConsoleError(f"{self.CONSOLE} did not answer in time after {name}",
                               code="console_timeout", page=self.name, url=self.page.url) from None
        response = navigation.value
        self.check_response(response)
        return response

    def find(self, name: str, timeout_ms: float | None = None) -> Locator:
        """The declared element, once visible; missing or ambiguous is drift, named precisely."""
        locator = self.loc(name)
        try:
            locator.wait_for(state="visible", timeout=timeout_ms)
        except pw.TimeoutError:
            raise DriftError(
                f"page {self.name}: locator {name} = {self.locators()[name]} matched no visible "
                f"element", code="locator_missing", page=self.name, locator=name,
                url=self.page.url) from None
        except pw.Error as exc:
            if "strict mode violation" in exc.message:
                raise DriftError(
                    f"page {self.name}: locator {name} = {self.locators()[name]} matched "
                    f"several elements", code="locator_ambiguous", page=self.name,
                    locator=name, url=self.page.url) from None
            raise
        return locator

    @classmethod
    def of(cls: type[P], ctx: ActionContext) -> P:
        """This page in the run's tab for its console."""
        return cls(ctx.page(cls.CONSOLE), ctx.base_url(cls.CONSOLE))

    def sub(self, name: str, root: Locator) -> Locator:
        """A declared locator built inside ``root`` (e.g. a cell of one table row)."""
        return self.locators()[name].build(root)

    def drift(self, name: str, problem: str, code: str = "page_drift") -> DriftError:
        """A DriftError naming this page and one of its declared locators."""
        return DriftError(f"page {self.name}: locator {name} = {self.locators()[name]} {problem}",
                          code=code, page=self.name, locator=name, url=self.page.url)

    def details(self, terms: str, definitions: str, *wanted: str) -> dict[str, str]:
        """Read a description list: ``wanted`` names declared term locators, answer by name.

        ``terms`` and ``definitions`` name the locators of all terms and all definitions; they
        pair up in document order. A wanted term the page lacks is drift on that term's locator.
        """
        try:
            self.loc(terms).first.wait_for(state="visible")
        except pw.TimeoutError:
            raise self.drift(terms, "matched no visible element", "locator_missing") from None
        keys = texts(self.loc(terms))
        values = texts(self.loc(definitions))
        if len(keys) != len(values):
            raise self.drift(definitions, f"found {len(values)} definitions for {len(keys)} terms")
        pairs = dict(zip(keys, values, strict=True))
        found: dict[str, str] = {}
        for name in wanted:
            term = self.locators()[name].args[0]
            if term not in pairs:
                raise self.drift(name, f"matched no term (terms: {', '.join(keys)})",
                                 code="locator_missing")
            found[name] = pairs[term]
        return found

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        """Open an instance of this page read-only; answer the Loc states present on it.

        Never clicks a side-effecting control. Pages that only a person can reach raise
        NotReachable with the reason.
        """
        raise NotReachable(f"{cls.CONSOLE}.{cls.__name__} declares no read-only way in")

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


def texts(locator: Locator) -> list[str]:
    """The text of every element matched, whitespace collapsed.

    Text content rather than rendered text: CSS (``text-transform: uppercase`` on table
    headers) changes what is painted, not what the page says.
    """
    return [" ".join(t.split()) for t in locator.all_text_contents()]


def text_of(locator: Locator) -> str:
    """The text of the one element matched, whitespace collapsed (see ``texts``)."""
    return " ".join((locator.text_content() or "").split())


def first_visible(*candidates: tuple[PageObject, str], timeout_ms: float | None = None
                  ) -> tuple[PageObject, str]:
    """Wait until one of several declared elements (of pages in the same tab) is visible.

    Used where a click can land on different pages (results or an error, the page or a login
    form); answers the first candidate, in the order given, that is visible. None visible in
    time is drift naming every candidate.
    """
    first_page, first_name = candidates[0]
    combined = first_page.loc(first_name)
    for page_object, name in candidates[1:]:
        combined = combined.or_(page_object.loc(name))
    try:
        combined.first.wait_for(state="visible", timeout=timeout_ms)
    except pw.TimeoutError:
        raise _none_visible(candidates) from None
    for page_object, name in candidates:
        if page_object.loc(name).first.is_visible():
            return page_object, name
    raise _none_visible(candidates)  # seen, then gone before the second look


def _none_visible(candidates: tuple[tuple[PageObject, str], ...]) -> DriftError:
    first_page, first_name = candidates[0]
    names = ", ".join(f"{po.name}.{n} = {po.locators()[n]}" for po, n in candidates)
    return DriftError(f"page {first_page.name}: none of {names} is visible",
                      code="locator_missing", page=first_page.name, locator=first_name,
                      url=first_page.page.url)


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
