"""Replacement locators for a broken one, found on the live page and verified there.

At 3 am "refund_button matched no element" is half an answer; the other half is what the button
is called now. For a missing or ambiguous locator this module reads the page's accessibility
tree (within the locator's scope), builds candidates the way a person would look (the same role
with the nearest unused name, the same name under another role, a field whose label changed or
went), keeps only those that resolve to exactly one visible element, and ranks them. Nothing is
applied: each proposal is a change of the declaring source line for a person to review.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pages.base import Loc, PageObject
from runner.selectors.aria import FIELD_ROLES, Node, parse, similarity
from runner.selectors.patch import SourceChange, source_change

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

MAX_PROPOSALS = 3
# Kinds of candidate, each with the weight it adds to the name's similarity when ranking.
SAME_ROLE = "same role, nearest name"
OTHER_ROLE = "same name, another role"
NEW_LABEL = "changed label"
UNLABELLED = "field lost its label"
WEIGHTS = {SAME_ROLE: 1.0, NEW_LABEL: 1.0, OTHER_ROLE: 0.8, UNLABELLED: 0.5}
SIGNATURES = {"get_by_role": "role", "get_by_label": "label", "get_by_text": "text",
              "get_by_alt_text": "alt", "locator": "form_field"}


@dataclass(frozen=True)
class Proposal:
    """One verified replacement: the new locator and how it reads in the page object."""

    kind: str
    locator: str  # str(Loc) of the replacement
    declaration: str  # the replacement as source: role("button", "Issue credit", ...)
    score: float
    matched: int = 1  # visible elements it resolves to (1, or more for a family)
    change: SourceChange | None = field(default=None, compare=False)  # the line, old -> new

    def to_dict(self) -> dict[str, Any]:
        change = self.change
        return {"kind": self.kind, "locator": self.locator, "declaration": self.declaration,
                "score": round(self.score, 3), "matched": self.matched,
                "where": change.where if change else "",
                "old": change.old.strip() if change else "",
                "new": change.new.strip() if change else ""}


def propose(page_object: PageObject, name: str) -> list[Proposal]:
    """Up to three verified replacements for locator ``name`` on the page as it is now.

    A browser error while looking (a tab gone) means no proposal, never a failed check.
    """
    from playwright.sync_api import Error as PlaywrightError

    try:
        return _propose(page_object, name)
    except PlaywrightError:
        return []


def _propose(page_object: PageObject, name: str) -> list[Proposal]:
    spec = type(page_object).locators()[name]
    root = _scope(page_object, spec)
    if root is None:
        return []  # its scope is broken too: fixing the scope comes first
    tree = parse(root.aria_snapshot())
    taken = _taken(type(page_object), name)
    seen: set[Loc] = set()
    found: list[Proposal] = []
    ranked = sorted(_candidates(spec, tree, taken, root), key=lambda c: -c[2])
    for kind, candidate, score in ranked:
        if candidate in seen or candidate == spec:
            continue
        seen.add(candidate)
        matched = candidate.build(root).filter(visible=True).count()
        if matched == 1 or (spec.many and matched > 1):
            written = declaration(candidate)
            found.append(Proposal(kind, str(candidate), written, score, matched,
                                  source_change(spec, written)))
        if len(found) == MAX_PROPOSALS:
            break
    return found


def _scope(page_object: PageObject, spec: Loc) -> Page | Locator | None:
    if spec.within is None:
        return page_object.page
    scope = page_object.loc(spec.within)
    return scope.first if scope.filter(visible=True).count() == 1 else None


def _taken(cls: type[PageObject], broken: str) -> set[tuple[str, str]]:
    """(method or role, name) pairs other locators of the page already point at."""
    taken = set()
    for other, spec in cls.locators().items():
        if other != broken and spec.args:
            kwargs = dict(spec.kwargs)
            key = spec.args[0] if spec.method == "get_by_role" else spec.method
            taken.add((key, str(kwargs.get("name", spec.args[0]))))
    return taken


def _candidates(spec: Loc, tree: list[Node], taken: set[tuple[str, str]],
                root: Page | Locator) -> Iterator[tuple[str, Loc, float]]:
    """Every plausible replacement with its kind and rank (unverified)."""
    kwargs = dict(spec.kwargs)
    if spec.method == "get_by_role":
        wanted_role, wanted = spec.args[0], str(kwargs.get("name") or "")
        for node in tree:
            if node.name and node.role == wanted_role and (node.role, node.name) not in taken:
                yield SAME_ROLE, _with_role(spec, node.role, node.name), \
                    WEIGHTS[SAME_ROLE] + similarity(wanted, node.name)
            elif wanted and node.name and node.role != wanted_role and \
                    (node.role, node.name) not in taken and similarity(wanted, node.name) >= 0.8:
                yield OTHER_ROLE, _with_role(spec, node.role, node.name), \
                    WEIGHTS[OTHER_ROLE] + similarity(wanted, node.name)
    elif spec.method == "get_by_label":
        yield from _field_candidates(spec, str(spec.args[0]), tree, taken, root)
    elif spec.method in ("get_by_text", "get_by_alt_text"):
        wanted = str(spec.args[0])
        for node in tree:
            value = node.name if spec.method == "get_by_alt_text" else node.text or node.name
            if value and (node.role != "img") == (spec.method == "get_by_text") and \
                    (spec.method, value) not in taken:
                yield SAME_ROLE, replace(spec, args=(value,)), \
                    WEIGHTS[SAME_ROLE] + similarity(wanted, value)


def _field_candidates(spec: Loc, wanted: str, tree: list[Node], taken: set[tuple[str, str]],
                      root: Page | Locator) -> Iterator[tuple[str, Loc, float]]:
    """A field now labelled otherwise, or left without a label (then by its posted name)."""
    for node in tree:
        if node.role in FIELD_ROLES and node.name and ("get_by_label", node.name) not in taken:
            yield NEW_LABEL, replace(spec, args=(node.name,)), \
                WEIGHTS[NEW_LABEL] + similarity(wanted, node.name)
    for role_name in sorted({n.role for n in tree if n.role in FIELD_ROLES and not n.name}):
        for element in Loc("get_by_role", (role_name,)).build(root).all():
            posted = element.get_attribute("name")
            if posted and element.aria_snapshot().strip() == f"- {role_name}":
                field = Loc("locator", (f'[name="{posted}"]',), (), spec.within, spec.state,
                            money=spec.money)
                yield UNLABELLED, field, WEIGHTS[UNLABELLED] + similarity(wanted, posted)


def _with_role(spec: Loc, role_name: str, name: str) -> Loc:
    kwargs = dict(spec.kwargs)
    kept = {"exact": kwargs.get("exact", True)}
    if "level" in kwargs and role_name == spec.args[0]:
        kept["level"] = kwargs["level"]
    return replace(spec, method="get_by_role", args=(role_name,),
                   kwargs=(("name", name), *kept.items()))


def declaration(spec: Loc) -> str:
    """The locator as it is written in a page object: ``role("link", "Order Lookup", ...)``."""
    kwargs = dict(spec.kwargs)
    function = SIGNATURES[spec.method]
    if spec.method == "locator":
        args = [_q(str(spec.args[0]).removeprefix('[name="').removesuffix('"]'))]
    elif spec.method == "get_by_role":
        args = [_q(spec.args[0])] + ([_q(kwargs["name"])] if kwargs.get("name") else [])
        if kwargs.get("name") and kwargs.get("exact") is False:
            args.append("exact=False")
    else:
        args = [_q(spec.args[0])]
        default_exact = spec.method != "get_by_text"
        if spec.method != "get_by_alt_text" and kwargs.get("exact", default_exact) != \
                default_exact:
            args.append(f"exact={kwargs['exact']}")
    if spec.within:
        args.append(f"within={_q(spec.within)}")
    if spec.state != "always":
        args.append(f"state={_q(spec.state)}")
    if "level" in kwargs:
        args.append(f"level={kwargs['level']}")
    if spec.many and spec.method != "locator":
        args.append("many=True")
    if spec.money and spec.method == "get_by_role":
        args.append("money=True")
    return f"{function}({', '.join(args)})"


def _q(value: object) -> str:
    """A Python string literal in the house style (double quotes)."""
    return json.dumps(str(value), ensure_ascii=False)
