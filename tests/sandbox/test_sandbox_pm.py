"""Product Management: seed data, search, My products, and the refund rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from runner.clock import FixedClock
from tests.sandbox.browsing import HttpSession, text

COLUMNS = ["Domain", "Customer", "Product", "Order ID", "Partner Order ID", "Purchased", "State",
           "Actions"]
SEED = {  # domain: (customer, state, days ago, admin email)
    "fresh-issued.example": ("Ada Fresh", "issued", 5, "admin@fresh-issued.example"),
    "pending.example": ("Pat Pending", "pending_setup", 3, "admin@pending.example"),
    "old-issued.example": ("Olga Old", "issued", 45, "admin@old-issued.example"),
    "cancelled.example": ("Cole Cancel", "cancelled", 10, "admin@cancelled.example"),
    "refunded.example": ("Rita Refund", "refunded", 12, "admin@refunded.example"),
    "shop.example": ("Sam Shop", "issued", 7, "admin@shop.example"),
    "myshop.example": ("Mia Myshop", "pending_setup", 2, "admin@myshop.example"),
    "canary.example": ("Canary Monitor", "issued", 1, "canary@canary.example"),
    "canary-pending.example": ("Canary Pending", "pending_setup", 1,
                               "admin@canary-pending.example"),
    "mismatch.example": ("Max Mismatch", "issued", 4, "admin@mismatch.example"),
    "no-admin.example": ("Nora Noadmin", "issued", 6, ""),
}
COMMON_NAMES = {"mismatch.example": "other-shop.example"}  # Symantec's, where not the domain


def rows_by_domain(web: HttpSession, query: str) -> dict[str, dict[str, str]]:
    header, rows = web.get(f"/pm/search?domain={query}").view.table("Orders")
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def order_id(web: HttpSession, domain: str) -> str:
    return rows_by_domain(web, domain)[domain]["Order ID"]


def test_seed_orders_are_exactly_the_contract_table(web: HttpSession, clock: FixedClock):
    orders = {o["domain"]: o for o in web.get("/sandbox/orders").json()}
    assert set(orders) == set(SEED)
    for domain, (customer, state, days, email) in SEED.items():
        order = orders[domain]
        assert (order["customer"], order["state"], order["admin_email"]) == (customer, state, email)
        assert order["common_name"] == COMMON_NAMES.get(domain, domain)
        purchased = datetime.fromisoformat(order["purchased_at"])
        assert purchased == clock.now() - timedelta(days=days)


def test_search_page_has_domain_textbox_and_search_button(web: HttpSession):
    view = web.get("/pm/").view
    assert view.h1 == ["Product Management"] and view.title == "Product Management"
    assert view.textboxes == ["Domain"] and view.buttons == ["Search"]


def test_search_matches_domain_substring(web: HttpSession):
    assert set(rows_by_domain(web, "shop.example")) == {"shop.example", "myshop.example"}
    assert set(rows_by_domain(web, "SHOP")) == {"shop.example", "myshop.example"}
    assert set(rows_by_domain(web, "canary")) == {"canary.example", "canary-pending.example"}
    assert len(rows_by_domain(web, ".example")) == len(SEED)


def test_results_table_columns_ids_and_iso_dates(web: HttpSession):
    page = web.get("/pm/search?domain=pending.example")
    header, rows = page.view.table("Orders")
    assert page.view.h1 == ["Search results"] and header == COLUMNS
    row = dict(zip(header, rows[0], strict=True))
    assert row["Order ID"].startswith("ORD-1") and row["Partner Order ID"].startswith("PO-77")
    assert datetime.fromisoformat(row["Purchased"]).utcoffset() == timedelta(0)
    assert row["Purchased"].endswith("+00:00") and "." not in row["Purchased"]


def test_setup_button_only_on_pending_rows_transaction_link_on_all(web: HttpSession):
    view = web.get("/pm/search?domain=example").view
    for tr in view.table_rows("Orders"):
        cells = [text(td) for td in tr.find_all("td")]
        buttons = [text(b) for b in tr.find_all("button")]
        links = [text(a) for a in tr.find_all("a")]
        assert buttons == (["Setup"] if cells[6] == "pending_setup" else [])
        assert links == ["Transaction", "My products"]


def test_no_match_is_a_status(web: HttpSession):
    view = web.get("/pm/search?domain=nothing-here.example").view
    assert view.statuses == ["No orders match"]
    assert ("table", "Orders") not in view.accessible()


def test_my_products_lists_only_that_customers_orders(web: HttpSession):
    results = web.get("/pm/search?domain=myshop.example").view
    products = web.get(results.link("My products")).view
    header, rows = products.table("Products")
    assert products.h1 == ["My products"] and header == COLUMNS
    assert [r[0] for r in rows] == ["myshop.example"]
    assert web.get("/pm/customers/CUS-9999/products").status == 404


def test_transaction_page_terms(web: HttpSession):
    view = web.get(f"/pm/orders/{order_id(web, 'pending.example')}/transaction").view
    assert view.h1 == ["Transaction"]
    terms = view.terms
    assert list(terms) == ["Order ID", "Domain", "Amount", "Certificate state", "Refund status"]
    assert terms["Domain"] == "pending.example" and terms["Refund status"] == "not refunded"
    assert terms["Amount"] == "USD 199.00"


def test_refund_button_only_when_refundable(web: HttpSession):
    expected = {
        "pending.example": (True, []),
        "cancelled.example": (True, []),
        "fresh-issued.example": (False, ["Refund unavailable: certificate is issued"]),
        "refunded.example": (False, []),
    }
    for domain, (button, statuses) in expected.items():
        view = web.get(f"/pm/orders/{order_id(web, domain)}/transaction").view
        assert ("Refund" in view.buttons) is button, domain
        assert view.statuses == statuses, domain
    refunded = web.get(f"/pm/orders/{order_id(web, 'refunded.example')}/transaction").view
    assert refunded.terms["Refund status"].startswith("refunded on ")
    assert "(ref RF-" in refunded.terms["Refund status"]


def test_refund_is_idempotent_and_counted_once(web: HttpSession, clock: FixedClock):
    oid = order_id(web, "pending.example")
    first = web.post(f"/pm/orders/{oid}/refund")
    [notice] = first.view.statuses
    assert notice.startswith("Refund issued: ref RF-") and len(notice.split("ref ")[1]) == 11
    ref = notice.split("ref ")[1]
    assert first.view.terms["Refund status"] == f"refunded on {clock.now().isoformat()} (ref {ref})"
    assert first.view.terms["Certificate state"] == "refunded"
    assert "Refund" not in first.view.buttons

    second = web.post(f"/pm/orders/{oid}/refund")
    assert second.status == 200 and second.view.alerts == ["Already refunded"]
    assert second.view.statuses == []
    refunds = web.get(f"/sandbox/refunds?order_id={oid}").json()
    assert [r["ref"] for r in refunds] == [ref]
    assert rows_by_domain(web, "pending.example")["pending.example"]["State"] == "refunded"
    # One refund row, but two POSTs: the counter a test needs to catch a double click.
    assert web.get(f"/sandbox/posts?order_id={oid}").json() == {
        "refund": 2, "request_access": 0, "access_mails": 0}
    assert web.get("/sandbox/posts").status == 400


def test_refund_of_issued_certificate_is_refused(web: HttpSession):
    oid = order_id(web, "fresh-issued.example")
    page = web.post(f"/pm/orders/{oid}/refund")
    assert page.status == 409
    assert page.view.alerts == ["Refund unavailable: certificate is issued"]
    assert web.get(f"/sandbox/refunds?order_id={oid}").json() == []


def test_cancelled_order_refunds_once(web: HttpSession):
    oid = order_id(web, "cancelled.example")
    assert web.post(f"/pm/orders/{oid}/refund").view.statuses[0].startswith("Refund issued")
    assert len(web.get("/sandbox/refunds?domain=cancelled.example").json()) == 1


def test_setup_issues_a_pending_certificate(web: HttpSession):
    oid = order_id(web, "myshop.example")
    view = web.get(f"/pm/orders/{oid}/setup").view
    assert view.buttons == ["Issue certificate"]
    done = web.post(f"/pm/orders/{oid}/setup").view
    assert done.statuses == ["Certificate issued for myshop.example"]
    assert rows_by_domain(web, "myshop")["myshop.example"]["State"] == "issued"


def test_unknown_order_is_404(web: HttpSession):
    page = web.get("/pm/orders/ORD-99999/transaction")
    assert page.status == 404 and page.view.h1 == ["Not Found"]
