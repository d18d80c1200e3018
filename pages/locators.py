"""Locators as written in a page object: how to build one, and its text for reports.

Declared once, as class attributes of a page (``refund_button = role("button", "Refund")``), so
that page code names them by attribute (checked by mypy) and the nightly selector check can
enumerate them without running any action.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


@dataclass(frozen=True)
class Loc:
    """A locator as written: how to build it, and its text for reports.

    ``state`` names the page state in which the element is expected ("always", or e.g.
    "refundable"): the selector check only demands it when it reached the page in that state.
    ``many`` marks a locator that names a family (table rows, list terms): the check demands
    at least one visible element instead of exactly one. ``money`` marks a control whose click
    has a side effect (a refund, an access request that mails the customer, a cancellation):
    the selector check never proposes a new name for it without saying it needs review.
    """

    method: str  # get_by_role | get_by_label | get_by_text | get_by_alt_text | locator
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()
    within: str | None = None  # name of another Loc on the same page that scopes this one
    state: str = "always"
    many: bool = False
    money: bool = False
    # Where the declaration is written (file, line): the selector check proposes its fixes as a
    # change of that line. Not part of the locator's identity.
    origin: tuple[str, int] | None = field(default=None, compare=False)

    def build(self, root: Page | Locator) -> Locator:
        locator: Locator = getattr(root, self.method)(*self.args, **dict(self.kwargs))
        return locator

    def __str__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        text = f"{self.method}({', '.join(parts)})"
        return f"{self.within} >> {text}" if self.within else text


def _origin(depth: int = 2) -> tuple[str, int]:
    """The file and line of the statement that called a declaring function (role, label...)."""
    frame = sys._getframe(depth)
    return frame.f_code.co_filename, frame.f_lineno


def role(role_name: str, name: str | None = None, *, exact: bool = True, within: str | None = None,
         state: str = "always", level: int | None = None, many: bool = False,
         money: bool = False) -> Loc:
    kw: tuple[tuple[str, Any], ...] = (("name", name), ("exact", exact)) if name else ()
    if level is not None:
        kw += (("level", level),)
    return Loc("get_by_role", (role_name,), kw, within, state, many, money, origin=_origin())


def label(text: str, *, exact: bool = True, within: str | None = None, state: str = "always",
          many: bool = False) -> Loc:
    return Loc("get_by_label", (text,), (("exact", exact),), within, state, many,
               origin=_origin())


def text(value: str, *, exact: bool = False, within: str | None = None, state: str = "always",
         many: bool = False) -> Loc:
    return Loc("get_by_text", (value,), (("exact", exact),), within, state, many,
               origin=_origin())


def alt(value: str, *, within: str | None = None, state: str = "always", many: bool = False) -> Loc:
    return Loc("get_by_alt_text", (value,), (("exact", True),), within, state, many,
               origin=_origin())


def form_field(name: str, *, within: str | None = None, state: str = "always") -> Loc:
    """A form field by the name it posts under: for a field the vendor left without a label.

    What a form posts is as stable as its label (the server reads it); no CSS class or id is
    involved. The selector check proposes it when a labelled field lost its label.
    """
    return Loc("locator", (f'[name="{name}"]',), (), within, state, False, origin=_origin())
