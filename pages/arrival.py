"""Which page came: a click that can land on different pages (results or an error, the page
or a login form) is answered by the first of the expected elements that shows.

A look before a wait: this follows a load the tab has finished, so one of them is usually
there already, and a look costs one round trip to the browser where a wait costs more.
"""

from __future__ import annotations

from pages.base import PageObject
from pages.locators import Loc
from runner.actions import note
from runner.errors import DriftError, ErrorCode


def first_visible(*candidates: tuple[PageObject, Loc], timeout_ms: float | None = None
                  ) -> tuple[PageObject, Loc]:
    """Wait until one of several declared elements (of pages in the same tab) is visible.

    Used where a click can land on different pages (results or an error, the page or a login
    form); answers the first candidate, in the order given, that is visible. None visible on
    the loaded page is drift naming every candidate.
    """
    # A look first: this follows a load the tab has finished (a goto or a submit waits for
    # it), so one of them is usually there already, and a look costs one round trip to the
    # browser where a wait costs more. Only when none is there does it wait.
    shown = _visible_now(candidates)
    if shown is not None:
        return shown
    first_page, first_spec = candidates[0]
    combined = first_page.loc(first_spec)
    for page_object, spec in candidates[1:]:
        combined = combined.or_(page_object.loc(spec))
    if not first_page.appears(combined.first, timeout_ms):
        raise _none_visible(candidates)
    shown = _visible_now(candidates)
    if shown is None:
        raise _none_visible(candidates)  # seen, then gone before the second look
    return shown


def _visible_now(candidates: tuple[tuple[PageObject, Loc], ...]
                 ) -> tuple[PageObject, Loc] | None:
    """The first candidate, in the order given, visible now (no wait)."""
    for page_object, spec in candidates:
        if page_object.loc(spec).first.is_visible():
            note("arrived", page=page_object.name, locator=page_object.name_of(spec))
            return page_object, spec
    return None


def _none_visible(candidates: tuple[tuple[PageObject, Loc], ...]) -> DriftError:
    first_page, first_spec = candidates[0]
    first_page.seen()  # the page expected first: what the tab shows instead (see ``drift``)
    names = ", ".join(f"{po.name}.{po.name_of(spec)} = {spec}" for po, spec in candidates)
    return DriftError(f"page {first_page.name}: none of {names} is visible",
                      code=ErrorCode.LOCATOR_MISSING, page=first_page.name,
                      locator=first_page.name_of(first_spec), url=first_page.page.url)
