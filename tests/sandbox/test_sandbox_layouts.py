"""Layouts: cosmetic changes every id and class but no role, label or text; breaking changes
exactly BREAKING_CHANGES. Also: every page has one h1 equal to its title, every control a label."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.layouts import BREAKING_CHANGES
from tests.sandbox.browsing import HttpSession, PageView, log_in_symantec, request_access

PAGES = {
    "pm.search": "/pm/",
    "pm.results": "/pm/search?domain=example",
    "pm.no_match": "/pm/search?domain=zzz",
    "pm.products": "/pm/customers/CUS-2002/products",
    "pm.transaction_refundable": "/pm/orders/ORD-10002/transaction",
    "pm.transaction_issued": "/pm/orders/ORD-10001/transaction",
    "pm.setup": "/pm/orders/ORD-10002/setup",
    "symantec.dashboard": "/symantec/",
    "symantec.quick_search": "/symantec/quick-search",
    "symantec.orders": "/symantec/orders",
    "symantec.order": "/symantec/orders/PO-7700001",
    "geotrust.home": "/geotrust/",
    "mail.inbox": "/mail/",
    "mail.message": "/mail/1",
    "portal.home": "/portal/",
}


@pytest.fixture
def tour(new_session: Callable[[], HttpSession]) -> Callable[[str], dict[str, PageView]]:
    """Visit every page in a layout (same sessions, so same captcha and mail each time)."""
    web = new_session()
    request_access(web, "fresh-issued.example", "admin@fresh-issued.example")
    web.get(web.get("/mail/1").view.link("Open your user portal"))
    outside = new_session()

    def visit(layout: str) -> dict[str, PageView]:
        web.request("POST", "/sandbox/faults", json_body={"layout": layout})
        log_in_symantec(web)
        views = {name: web.get(path).view for name, path in PAGES.items()}
        views["symantec.login"] = outside.get("/symantec/login").view
        views["portal.confirm"] = web.post("/portal/cancel").view
        return views

    return visit


def test_every_page_has_one_h1_matching_its_title_and_labelled_controls(tour):
    for name, view in tour("normal").items():
        assert len(view.h1) == 1 and view.title == view.h1[0], name
        for control in view.controls:
            assert view.label_for(control), (name, control.attrs)


def test_cosmetic_keeps_roles_labels_texts_but_changes_ids_and_classes(tour):
    normal, cosmetic = tour("normal"), tour("cosmetic")
    for name in normal:
        before, after = normal[name], cosmetic[name]
        assert after.accessible() == before.accessible(), name
        assert after.ids and not (after.ids & before.ids), name
        assert after.classes and not (after.classes & before.classes), name
        assert len(after.soup.find_all("div")) > len(before.soup.find_all("div")), name
        assert [after.label_for(c) for c in after.controls] == [
            before.label_for(c) for c in before.controls], name


def test_breaking_changes_exactly_the_listed_controls(tour):
    normal, breaking = tour("normal"), tour("breaking")
    applied = set()
    for name in normal:
        before, after = normal[name].accessible(), breaking[name].accessible()
        expected = set(before)
        for change in BREAKING_CHANGES:
            if (change.role, change.name) in before and name.startswith(change.console):
                expected.discard((change.role, change.name))
                expected.add((change.role, change.becomes))
                applied.add(change.key)
        assert after == expected, name
        assert breaking[name].ids <= normal[name].ids, name
        assert breaking[name].classes == normal[name].classes, name
    assert applied == {c.key for c in BREAKING_CHANGES}


def test_breaking_changes_are_the_contract_ones():
    assert {(c.role, c.name, c.becomes) for c in BREAKING_CHANGES} == {
        ("link", "Quick Search", "Order Lookup"),
        ("textbox", "Image number", None),
        ("button", "Refund", "Issue credit"),
    }


def test_breaking_layout_still_works_for_a_person(web: HttpSession):
    web.request("POST", "/sandbox/faults", json_body={"layout": "breaking"})
    page = web.post("/pm/orders/ORD-10002/refund")
    assert page.view.statuses[0].startswith("Refund issued")
    dashboard = log_in_symantec(web)
    assert web.get(dashboard.view.link("Order Lookup")).view.h1 == ["Quick Search"]


def test_no_css_rewrites_texts(web: HttpSession):
    """innerText follows text-transform: an uppercased header would read as drift."""
    for path in ("/pm/search?domain=example", "/geotrust/", "/mail/"):
        assert "text-transform" not in web.get(path).text
