"""Read Playwright's ARIA snapshot (the page's accessibility tree as YAML-like text) as nodes.

The selector check finds replacement locators and compares a page with the last good night
from this tree, because locators are written against it: roles, accessible names, labels and
texts. The format is Playwright's (``- role "name" [attr=value]: text``, children indented);
only the parts a locator can address are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

# One line of an ARIA snapshot: indentation, role, optional quoted name, attributes, text.
_LINE = re.compile(r'^(?P<indent>\s*)- (?P<role>[a-z]+)(?: "(?P<name>(?:[^"\\]|\\.)*)")?'
                   r'(?P<attrs>(?: \[[^\]]*\])*)(?::(?: (?P<text>.*))?)?$')
# Roles a person acts on or reads as a landmark: what "the page's controls" means in a diff.
CONTROL_ROLES = frozenset({
    "button", "link", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio",
    "spinbutton", "slider", "switch", "tab", "menuitem", "heading", "navigation", "table",
    "columnheader", "img", "alert", "status", "dialog", "form",
})
# Roles a label() names: form fields.
FIELD_ROLES = frozenset({"textbox", "searchbox", "combobox", "listbox", "checkbox", "radio",
                         "spinbutton", "slider", "switch"})


@dataclass(frozen=True)
class Node:
    """One element of the tree as a locator sees it."""

    role: str
    name: str  # accessible name ("" when it has none)
    text: str = ""  # inline text content (``- paragraph: ...``)

    @property
    def label(self) -> str:
        """``button "Refund"``: how a report shows it."""
        return f'{self.role} "{self.name}"' if self.name else self.role


def parse(snapshot: str) -> list[Node]:
    """Every node of a snapshot, in document order (``/url`` and other properties skipped)."""
    nodes = []
    for line in snapshot.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        name = (match["name"] or "").replace('\\"', '"').replace("\\\\", "\\")
        text = (match["text"] or "").strip().strip('"')
        nodes.append(Node(match["role"], name, text))
    return nodes


def controls(snapshot: str) -> set[tuple[str, str]]:
    """The (role, name) pairs of the controls on a page (a set: rows repeat their links)."""
    return {(n.role, n.name) for n in parse(snapshot) if n.role in CONTROL_ROLES}


def similarity(a: str, b: str) -> float:
    """0..1: how alike two names are, ignoring case and ``_``/``-`` (field names)."""
    def norm(value: str) -> str:
        return re.sub(r"[\s_\-]+", " ", value.lower()).strip()

    return SequenceMatcher(None, norm(a), norm(b)).ratio()
