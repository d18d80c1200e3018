"""Layout drift: how the ``cosmetic`` and ``breaking`` layouts change what the consoles render.

``cosmetic`` is a vendor redeploy that page objects must survive: every id and class name is
different and wrapper divs appear, while roles, labels and texts stay. ``breaking`` is drift
they must report: exactly the changes in ``BREAKING_CHANGES`` and nothing else (ids and classes
stay as in ``normal`` so the difference is only these controls).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class BreakingChange:
    """One control that the ``breaking`` layout renames (``becomes``) or unlabels (None)."""

    key: str
    console: str
    role: str
    name: str
    becomes: str | None
    description: str


BREAKING_CHANGES: tuple[BreakingChange, ...] = (
    BreakingChange("symantec_quick_search_renamed", "symantec", "link", "Quick Search",
                   "Order Lookup", "Symantec nav link Quick Search is renamed Order Lookup"),
    BreakingChange("geotrust_image_number_unlabelled", "geotrust", "textbox", "Image number",
                   None, "GeoTrust Image number textbox is replaced by an unlabelled input"),
    BreakingChange("pm_refund_renamed", "pm", "button", "Refund", "Issue credit",
                   "PM transaction button Refund is renamed Issue credit"),
)
_BY_KEY = {change.key: change for change in BREAKING_CHANGES}


def _scramble(prefix: str, name: str) -> str:
    return prefix + hashlib.sha1(f"cosmetic:{name}".encode()).hexdigest()[:7]


class Layout:
    """Template helper: ids, classes, wrappers and breaking renames for one layout."""

    def __init__(self, name: str = "normal") -> None:
        self.name = name
        self.cosmetic = name == "cosmetic"
        self.breaking = name == "breaking"

    def id(self, name: str) -> str:
        """The element id for ``name`` (changed in ``cosmetic``)."""
        return _scramble("k", name) if self.cosmetic else name

    def cls(self, names: str) -> str:
        """The class attribute for space-separated ``names`` (changed in ``cosmetic``)."""
        if not self.cosmetic:
            return names
        return " ".join(_scramble("c-", n) for n in names.split())

    def broken(self, key: str) -> bool:
        """Whether the breaking change ``key`` is in force."""
        if key not in _BY_KEY:
            raise KeyError(f"unknown breaking change {key!r}")
        return self.breaking

    def text(self, key: str) -> str:
        """The accessible name of the control changed by ``key``, as this layout renders it."""
        change = _BY_KEY[key]
        if self.broken(key) and change.becomes is not None:
            return change.becomes
        return change.name

    def wrap(self, part: str, caller: Callable[[], str]) -> Markup:
        """``{% call layout.wrap('form') %}``: extra wrapper divs in ``cosmetic`` only."""
        body = Markup(caller())
        if not self.cosmetic:
            return body
        outer, inner = escape(self.cls(f"shell-{part}")), escape(self.cls(f"inner-{part}"))
        return Markup(f'<div class="{outer}"><div class="{inner}">') + body + Markup(
            "</div></div>")
