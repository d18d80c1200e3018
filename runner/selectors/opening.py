"""Opening a page for the check without racing the machine's speed.

A page object waits for its page with the configured element timeout; on a machine busy with
other work that wait can run out while the page is still coming, which would read as a broken
locator (or, for a navigation, as an unreachable console). The check therefore separates the
two questions. Navigations get a patient timeout of their own: a console that answered late
has answered. And a locator that failed while opening is drift only once confirmed: the tab has
finished loading, shows the page the locator belongs to (its URL) and the locator, counted now,
still does not resolve. Otherwise the page is opened again with patient element waits, which
costs nothing when the elements are there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from pages.base import PageObject, all_pages
from runner.errors import DriftError

if TYPE_CHECKING:
    from runner.browser.session import RunSession
    from runner.config import Config

@contextmanager
def patient_navigation(session: RunSession) -> Iterator[None]:
    """Navigations wait the patient navigation timeout (``browser.navigation_timeout_ms``);
    element waits keep the configured one.

    The run's tabs get a navigation timeout of their own; the Symantec login runs in a context
    the page object creates from ``session.config``, so for the check's duration that config
    carries the patient timeout (a login is navigations, and its fields are there on load).
    """
    configured = session.config
    session.context.set_default_navigation_timeout(_patient(session))
    patient = timedelta(milliseconds=_patient(session))
    session.config = replace(configured, browser=replace(configured.browser, timeout=patient))
    try:
        yield
    finally:
        session.config = configured


def open_page(session: RunSession, config: Config, cls: type[PageObject]) -> set[str]:
    """``cls.open_for_check``; a DriftError escapes only once confirmed on a loaded page.

    A bare Playwright timeout (an action such as ``fill`` on an element already found) says
    only that the machine was slow: it, too, earns a patient second attempt. ``config`` is the
    check's own (its element timeout is restored after the patient attempt).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return cls.open_for_check(session, config.canary)
    except DriftError as exc:
        if confirmed(session, cls, exc):
            raise
    except PlaywrightTimeout:
        pass  # the machine was slow, nothing is known about the page: tried again below
    session.context.set_default_timeout(_patient(session))
    try:
        return cls.open_for_check(session, config.canary)
    finally:
        session.context.set_default_timeout(config.browser.timeout_ms)


def confirmed(session: RunSession, cls: type[PageObject], exc: DriftError) -> bool:
    """Whether the tab, loaded, shows the locator's page and the locator does not resolve."""
    owner = owner_of(exc, cls)
    name = str(exc.context.get("locator") or "")
    if owner is None or name not in owner.locators():
        return True  # nothing to look at again: trust the page object
    page_object = owner.of(session)
    page_object.page.wait_for_load_state("load", timeout=_patient(session))
    if not on_page(page_object):
        return False
    visible = page_object.loc(name).filter(visible=True).count()
    return not (visible >= 1 if owner.locators()[name].many else visible == 1)


def owner_of(exc: DriftError, cls: type[PageObject]) -> type[PageObject] | None:
    """The page class the broken locator belongs to (a page on the way, or ``cls``)."""
    owner = str(exc.context.get("page") or "")
    if not owner:
        return cls
    return {f"{c.CONSOLE}.{c.__name__}": c for c in all_pages()}.get(owner)


def on_page(page_object: PageObject) -> bool:
    """Whether the tab's URL is this page's (``PATH`` with its ``{placeholders}``)."""
    path = urlparse(page_object.page.url).path
    base = urlparse(page_object.base_url).path.rstrip("/")
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(type(page_object).PATH))
    return re.fullmatch(re.escape(base) + pattern, path) is not None


def _patient(session: RunSession) -> float:
    """How long a console may take to answer before it is unreachable (a slow answer is an
    answer): the configured navigation timeout, never below the element timeout."""
    browser = session.config.browser
    return max(browser.timeout_ms, browser.navigation_timeout_ms)
