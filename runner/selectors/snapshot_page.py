"""An ARIA snapshot rendered back into a page, so declared locators can be resolved against it.

The night cannot open the pages behind the captcha or the customer's email, but a run that
passed them kept their accessibility snapshot (``runner.selectors.witness``). Rather than a
second, home-made matcher of roles and names, the snapshot becomes equivalent HTML in a blank
tab: each node an element with the same role and accessible name, the same texts and
multiplicity. Then the page object's own locators (``get_by_role``, ``get_by_label``,
``get_by_text``) are counted by Playwright itself, and a broken one gets proposals exactly as on
a live page. Nothing in it is live: no script, no link goes anywhere, no form posts.

Elements whose name comes from their content (buttons, links, headings, cells...) carry it as
text; others (fields, tables, landmarks) as ``aria-label``, images as ``alt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

import yaml

# ``role "name" [attr] [attr=value]`` as a key of Playwright's snapshot.
_KEY = re.compile(r'^(?P<role>[a-z]+)(?: "(?P<name>(?:[^"\\]|\\.)*)")?'
                  r'(?P<attrs>(?: \[[^\]]*\])*)$')
_ATTR = re.compile(r"\[([\w-]+)(?:=([^\]]*))?\]")

# role -> (tag, extra attributes); anything else is a <div role="...">.
_TAGS: dict[str, tuple[str, str]] = {
    "button": ("button", ' type="button"'),
    "link": ("a", ' href="#"'),
    "paragraph": ("p", ""), "strong": ("strong", ""), "emphasis": ("em", ""),
    "code": ("code", ""), "blockquote": ("blockquote", ""),
    "list": ("ul", ""), "listitem": ("li", ""),
    "table": ("table", ""), "rowgroup": ("tbody", ""), "row": ("tr", ""),
    "cell": ("td", ""), "columnheader": ("th", ""), "rowheader": ("th", ' scope="row"'),
    "navigation": ("nav", ""), "main": ("main", ""),
    "form": ("form", ""), "region": ("section", ""), "article": ("article", ""),
    "separator": ("hr", ""),
}
# Roles whose accessible name is their content: written as text, not as a label.
_NAMED_BY_CONTENT = frozenset({
    "button", "link", "heading", "cell", "columnheader", "rowheader", "row", "listitem",
    "tab", "menuitem", "option", "term", "definition", "tooltip", "treeitem", "strong",
    "emphasis", "paragraph", "code",
})
# Fields: an input (or select) labelled by ``aria-label``, as ``get_by_label`` finds it.
_FIELDS = {"textbox": "text", "searchbox": "search", "checkbox": "checkbox",
           "radio": "radio", "spinbutton": "number", "slider": "range"}
_VOID = frozenset({"hr", "input", "img"})


@dataclass
class AriaNode:
    role: str
    name: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""  # inline text (``- status: text``)
    children: list[AriaNode | str] = field(default_factory=list)  # str: a text node


def parse_tree(snapshot: str) -> list[AriaNode | str]:
    """The snapshot's nodes, nested as on the page (properties such as ``/url`` dropped).

    Read with YAML's base loader, so every value stays text as shown (``1.50``, ``2026-12-07``).
    """
    # BaseLoader builds only str, list and dict: nothing is resolved or constructed.
    loaded = yaml.load(snapshot, Loader=yaml.BaseLoader) if snapshot.strip() else []
    return _items(loaded if isinstance(loaded, list) else [])


def _items(items: list[Any]) -> list[AriaNode | str]:
    nodes: list[AriaNode | str] = []
    for item in items:
        if isinstance(item, dict):
            for key, value in item.items():
                node = _node(str(key), value)
                if node is not None:
                    nodes.append(node)
        elif isinstance(item, str):
            node = _node(item, None)
            if node is not None:
                nodes.append(node)
    return nodes


def _node(key: str, value: Any) -> AriaNode | str | None:
    if key.startswith("/"):
        return None  # a property (/url, /placeholder): not an element
    if key == "text":
        return str(value or "")
    match = _KEY.match(key.strip())
    if match is None:
        return None
    name = (match["name"] or "").replace('\\"', '"').replace("\\\\", "\\")
    attrs = {m[1]: m[2] if m[2] is not None else "" for m in _ATTR.finditer(match["attrs"])}
    node = AriaNode(match["role"], name, attrs)
    if isinstance(value, list):
        node.children = _items(value)
    elif value is not None:
        node.text = str(value)
    return node


def render(snapshot: str, title: str = "snapshot") -> str:
    """A static HTML page with the snapshot's accessible structure."""
    body = _join(parse_tree(snapshot))
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title></head><body>{body}</body></html>")


def _join(nodes: list[AriaNode | str]) -> str:
    """Siblings as HTML, a space between them as the page's own layout has (the snapshot
    trims texts), except before punctuation that closes a sentence."""
    parts = []
    for index, node in enumerate(nodes):
        if index and not (isinstance(node, str) and node[:1] in ".,;:!?)"):
            parts.append(" ")
        parts.append(_html(node))
    return "".join(parts)


def _html(node: AriaNode | str) -> str:
    if isinstance(node, str):
        return f"<span>{escape(node)}</span>"
    inner = _join(node.children) or escape(node.text)
    role, name = node.role, node.name
    if role in _FIELDS:
        checked = " checked" if node.attrs.get("checked") in ("", "true") else ""
        return (f'<input type="{_FIELDS[role]}" aria-label="{escape(name)}"'
                f' value="{escape(node.text)}"{checked}>')
    if role == "combobox":
        return f'<select aria-label="{escape(name)}"><option>{escape(node.text)}</option></select>'
    if role == "img":
        return f'<img alt="{escape(name)}" width="16" height="16">'
    if role == "heading":
        level = node.attrs.get("level", "2")
        level = level if level in {"1", "2", "3", "4", "5", "6"} else "2"
        return f"<h{level}>{inner or escape(name)}</h{level}>"
    tag, extra = _TAGS.get(role, ("div", f' role="{escape(role)}"'))
    if tag in _VOID:
        return f"<{tag}{extra}>"
    label = ""
    if role in _NAMED_BY_CONTENT:
        inner = inner or escape(name)
    elif name:
        label = f' aria-label="{escape(name)}"'
    disabled = " disabled" if "disabled" in node.attrs and tag == "button" else ""
    return f"<{tag}{extra}{label}{disabled}>{inner}</{tag}>"
