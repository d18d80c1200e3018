"""Symantec partner backend (login required): login, dashboard, Quick Search, Order Information.

The login happens in a short-lived browser context of its own, never in the run's context: the
run's context may be traced (Playwright records fill() values, form posts and DOM snapshots in
trace.zip), and the password must not land in a trace. Only the session cookie it yields is
copied into the run's context and saved, owner-only, for later runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote

from pages.arrival import first_visible
from pages.base import (
    Loc,
    PageObject,
    label,
    role,
    text,
    text_of,
)
from pages.details import DescriptionList
from pages.models import OrderInfo
from runner.actions import ActionContext, RunContext, action
from runner.errors import ConfigError, ConsoleError, ErrorCode, InputError, RunnerError

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

T = TypeVar("T")


class LoginRequired(Exception):
    """The console showed its login form instead of the page asked for."""


class MainMenu:
    """The left-hand navigation every logged-in Symantec page has."""

    menu = role("navigation", "Main menu")
    dashboard_link = role("link", "Dashboard", within="menu")
    quick_search_link = role("link", "Quick Search", within="menu")
    orders_link = role("link", "Orders", within="menu")
    log_out_link = role("link", "Log out", within="menu")


class LoginPage(PageObject):
    """Symantec Partner Center login; shows why it is asked (bad password, expired session)."""

    CONSOLE = "symantec"
    PATH = "/login"
    CHECK_BY_URL = True  # the console shows the form even to a logged-in browser
    heading = role("heading", "Symantec Partner Center", level=1)
    username = label("Username")
    password = label("Password")
    login_button = role("button", "Log in")
    alert = role("alert", state="refused")
    # Why the form is back: only this text means the credentials are wrong. Any other (the
    # session-expired notice above all) means the console let the login lapse: retry later.
    credentials_refused = text("Invalid username or password", state="refused")


class DashboardPage(MainMenu, PageObject):
    """The page after login."""

    CONSOLE = "symantec"
    PATH = "/"
    heading = role("heading", "Partner Dashboard", level=1)

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        _logged_in(cast(RunContext, ctx), lambda: _open_dashboard(ctx))
        return {"always"}


class QuickSearchPage(MainMenu, PageObject):
    """Quick Search: find an order by its Partner Order ID."""

    CONSOLE = "symantec"
    PATH = "/quick-search"
    heading = role("heading", "Quick Search", level=1)
    partner_order_id = label("Partner Order ID")
    search_button = role("button", "Search")
    not_found = role("alert", state="not_found")

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        return _check_logged_in(ctx, cls)


class OrderInformationPage(MainMenu, DescriptionList):
    """Order Information: common name and admin email of one partner order."""

    CONSOLE = "symantec"
    PATH = "/orders/{partner_order_id}"
    heading = role("heading", "Order Information", level=1)
    partner_order_id_term = text("Partner Order ID", exact=True)
    common_name_term = text("Common Name", exact=True)
    admin_email_term = text("Admin Email", exact=True)
    status_term = text("Order Status", exact=True)
    product_term = text("Product", exact=True)

    def read(self) -> OrderInfo:
        values = self.details(self.partner_order_id_term, self.common_name_term,
                              self.admin_email_term, self.status_term, self.product_term)
        return OrderInfo(partner_order_id=values[self.partner_order_id_term],
                         common_name=values[self.common_name_term],
                         admin_email=values[self.admin_email_term],
                         status=values[self.status_term], product=values[self.product_term])

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        from pages.pm import find_order

        order = find_order(ctx, canary["issued_domain"])
        return _check_logged_in(ctx, cls, partner_order_id=quote(order.partner_order_id, safe=""))


def _private_context(ctx: RunContext) -> BrowserContext:
    """A fresh, untraced context on the run's browser, with the run's timeout."""
    browser = ctx.context.browser
    if browser is None:
        raise RunnerError("the run's browser context has no browser to log in with",
                          code=ErrorCode.BROWSER_MISSING)
    private = browser.new_context()
    private.set_default_timeout(ctx.config.browser.timeout_ms)
    private.set_default_navigation_timeout(ctx.config.browser.navigation_timeout_ms)
    return private


def log_in(ctx: RunContext) -> None:
    """Log in away from the run's (possibly traced) context; keep the session cookie."""
    username, password = ctx.credentials("symantec")
    private = _private_context(ctx)
    try:
        login = LoginPage(private.new_page(), ctx.base_url("symantec"))
        login.goto()
        login.fill(login.username, username)
        login.fill(login.password, password)
        login.submit(login.login_button)
        dashboard = DashboardPage(login.page, login.base_url)
        arrived, _ = first_visible((dashboard, dashboard.menu), (login, login.login_button))
        if arrived is login:
            raise _login_refused(ctx, login, username)
        state = private.storage_state()
    finally:
        private.close()
    ctx.context.add_cookies(cast(Any, state["cookies"]))  # Cookie dicts as read
    ctx.save_login_state("symantec", cast(dict[str, Any], state))


def _login_refused(ctx: RunContext, login: LoginPage, username: str) -> RunnerError:
    """Wrong credentials are the operator's to fix; a login that lapsed at once is the console's.

    Under latency, or with very short sessions, the console answers a good login with its form
    and "session expired": that is no reason to tell anyone to fix a ticket or a password.
    """
    alert = login.loc(login.alert)
    said = text_of(alert) if alert.count() == 1 else "no reason given"
    if login.loc(login.credentials_refused).is_visible():
        console = ctx.config.console("symantec")
        names = " and ".join(n for n in (console.username_env, console.password_env) if n)
        return ConfigError(f"Symantec refused the login for {username}: {said}; set the right "
                           f"credentials in the runner's environment ({names or 'see config'}) "
                           "and resume the run", code=ErrorCode.CREDENTIALS_REJECTED,
                           page=login.name, url=login.page.url)
    return ConsoleError(f"Symantec showed its login form again after a login it did not refuse "
                        f"({said}): its sessions lapse at once; retry later",
                        code=ErrorCode.LOGIN_FAILED, page=login.name, url=login.page.url)


def _arrive(ctx: ActionContext, expected: tuple[PageObject, Loc],
            *others: tuple[PageObject, Loc]) -> tuple[PageObject, Loc]:
    """Wait for the page asked for (or another outcome); the login form means log in first.

    The login form wins over every other outcome: its session-expired alert would otherwise
    pass for another page's alert (Quick Search's "not found"). The page asked for is the
    page asked for: the login form is looked for beside it only when something else came.
    """
    login = LoginPage.of(ctx)
    arrived = first_visible(expected, *others, (login, login.login_button))
    if arrived[0] is login or (arrived != expected
                               and login.loc(login.login_button).is_visible()):
        raise LoginRequired()
    return arrived


def _logged_in(ctx: RunContext, steps: Callable[[], T]) -> T:
    """Run ``steps``; if the login form shows up (first use, expired session), log in, rerun."""
    try:
        return steps()
    except LoginRequired:
        log_in(ctx)
    try:
        return steps()
    except LoginRequired:
        raise ConsoleError("Symantec asked for a login again right after a successful one",
                           code=ErrorCode.SESSION_REJECTED, page=LoginPage.of(ctx).name,
                           url=ctx.page("symantec").url) from None


def _check_logged_in(ctx: ActionContext,
                     page_class: type[QuickSearchPage] | type[OrderInformationPage], **params: str
                     ) -> set[str]:
    """The selector check's way in: the page at its URL, logged in first if the console asks.

    By URL, not by the menu link: a renamed link is then reported, not fatal to the check.
    """

    def open_page() -> None:
        page = page_class.of(ctx)
        page.goto(**params)
        _arrive(ctx, (page, page.heading))

    _logged_in(cast(RunContext, ctx), open_page)
    return {"always"}


def _open_dashboard(ctx: ActionContext) -> DashboardPage:
    dashboard = DashboardPage.of(ctx)
    dashboard.goto()
    _arrive(ctx, (dashboard, dashboard.menu))
    return dashboard


def _open_quick_search(ctx: ActionContext) -> QuickSearchPage:
    """Quick Search as the procedure says: the link in the left-hand menu."""
    dashboard = _open_dashboard(ctx)
    dashboard.submit(dashboard.quick_search_link)
    search = QuickSearchPage.of(ctx)
    _arrive(ctx, (search, search.partner_order_id))
    return search


@action("symantec.order_info", returns=OrderInfo,
        raises=(ErrorCode.PARTNER_ORDER_NOT_FOUND, ErrorCode.CREDENTIALS_REJECTED,
                ErrorCode.CREDENTIALS_MISSING, ErrorCode.SESSION_REJECTED,
                ErrorCode.LOGIN_FAILED, ErrorCode.BROWSER_MISSING))
def order_info(ctx: ActionContext, partner_order_id: str) -> OrderInfo:
    """Look the partner order up with Quick Search; read common name and admin email."""
    wanted = partner_order_id.strip()

    def look_up() -> OrderInfo:
        search = _open_quick_search(ctx)
        search.fill(search.partner_order_id, wanted)
        search.submit(search.search_button)
        info = OrderInformationPage.of(ctx)
        arrived, _ = _arrive(ctx, (info, info.heading), (search, search.not_found))
        if arrived is search:
            raise InputError(f"Symantec has no order {wanted}: "
                             f"{text_of(search.loc(search.not_found))}",
                             code=ErrorCode.PARTNER_ORDER_NOT_FOUND, page=search.name,
                             url=search.page.url)
        return info.read()

    return _logged_in(cast(RunContext, ctx), look_up)
