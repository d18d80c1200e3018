"""Product Management (internal, no login): search, results, My products, Transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from pages.arrival import first_visible
from pages.base import (
    PageObject,
    label,
    role,
    text,
    text_of,
    texts,
)
from pages.details import DescriptionList
from pages.models import Order, OrderState, RefundReceipt, Transaction
from runner.actions import NOT_CLICKED, ActionContext, Effect, action
from runner.errors import BusinessError, ConsoleError, DriftError, ErrorCode, InputError

if TYPE_CHECKING:
    from playwright.sync_api import Locator

COLUMNS = ("Domain", "Customer", "Product", "Order ID", "Partner Order ID", "Purchased", "State")
# The contract: a not-yet-refunded order in these states shows the Refund button.
SHOWS_REFUND = frozenset({"pending_setup", "cancelled"})
REFUND_STATUS = re.compile(r"^refunded on (?P<at>\S+) \(ref (?P<ref>[^)\s]+)\)$")
CUSTOMER_HREF = re.compile(r"/customers/(?P<id>[^/?#]+)/products")


@dataclass(frozen=True)
class Row:
    """One data row of an orders table: its cells by column header, and the row itself."""

    cells: dict[str, str]
    locator: Locator


class OrdersTablePage(PageObject):
    """A page whose orders table has the results columns (search results and My products)."""

    table = role("table", "Orders")  # overridden by each page with its table's name
    column_headers = role("columnheader", within="table", many=True)
    rows = role("row", within="table", many=True)
    cells = role("cell", within="rows", many=True)
    transaction_link = role("link", "Transaction", within="table")
    setup_button = role("button", "Setup", within="table", state="pending")

    def read_rows(self) -> list[Row]:
        """Every data row, cells keyed by column header (header order may change)."""
        # Read at once (the page has loaded); the table is waited for only when no header
        # is there. A second table of that name shows as twice the headers of any row.
        headers = texts(self.loc(self.column_headers))
        if not headers:
            self.find(self.table)
            headers = texts(self.loc(self.column_headers))
        return self.rows_under(headers)

    def rows_under(self, headers: list[str]) -> list[Row]:
        """The data rows of the table whose column headers read ``headers``."""
        missing = [c for c in COLUMNS if c not in headers]
        if missing:
            raise self.drift(self.column_headers, f"lacks {', '.join(missing)} (has "
                             f"{', '.join(headers)})", ErrorCode.LOCATOR_MISSING)
        found = []
        for row in self.loc(self.rows).all():
            cells = texts(self.sub(self.cells, row))
            if not cells:
                continue  # the header row
            if len(cells) != len(headers):
                raise self.drift(self.cells,
                                 f"gave {len(cells)} cells under {len(headers)} headers")
            found.append(Row(dict(zip(headers, cells, strict=True)), row))
        return found

    def states(self, rows: list[Row]) -> set[str]:
        """Loc states of a table: "pending" when a row's State says the Setup button is due."""
        pending = any(r.cells["State"] == "pending_setup" for r in rows)
        return {"always", "pending"} if pending else {"always"}


class SearchPage(PageObject):
    """The Product Management start page: search orders by domain."""

    CONSOLE = "pm"
    PATH = "/"
    CHECK_BY_URL = True
    heading = role("heading", "Product Management", level=1)
    domain = label("Domain")
    search_button = role("button", "Search")

    def open(self) -> SearchPage:
        self.goto()
        return self

    def search(self, domain: str) -> ResultsPage:
        self.fill(self.domain, domain)
        self.submit(self.search_button)
        return ResultsPage(self.page, self.base_url)


class ResultsPage(OrdersTablePage):
    """Search results: one row per order whose domain contains the search text."""

    CONSOLE = "pm"
    PATH = "/search"
    heading = role("heading", "Search results", level=1)
    table = role("table", "Orders", state="matches")
    my_products_link = role("link", "My products", within="table")
    no_match = role("status", state="empty")

    def exact(self, domain: str) -> list[Order]:
        """The orders whose Domain cell is exactly ``domain`` (not merely containing it)."""
        # The results are usually there at once (the search's answer has loaded); the page is
        # waited for, results or "no match", only when no column header is there yet.
        headers = texts(self.loc(self.column_headers))
        if headers:
            rows = self.rows_under(headers)
        else:
            _, arrived = first_visible((self, self.table), (self, self.no_match))
            if arrived is self.no_match:
                return []
            rows = self.read_rows()
        return [self.order(r) for r in rows if r.cells["Domain"].lower() == domain]

    def order(self, row: Row) -> Order:
        cells = row.cells
        try:
            datetime.fromisoformat(cells["Purchased"])
        except ValueError:
            raise self.drift(self.cells,
                             f"Purchased {cells['Purchased']!r} is not ISO 8601") from None
        href = self.sub(self.my_products_link, row.locator).get_attribute("href") or ""
        customer = CUSTOMER_HREF.search(href)
        if customer is None:
            raise self.drift(self.my_products_link, f"links to {href!r}, not a customer's products")
        return Order(
            order_id=cells["Order ID"], partner_order_id=cells["Partner Order ID"],
            domain=cells["Domain"], customer=cells["Customer"],
            customer_id=unquote(customer["id"]), product=cells["Product"],
            purchased_at=cells["Purchased"], state=cells["State"],
            setup_pending=self.sub(self.setup_button, row.locator).count() > 0)

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        results = SearchPage.of(ctx).open().search(canary["pending_domain"])
        return results.states(results.read_rows()) | {"matches"}


class MyProductsPage(OrdersTablePage):
    """The customer's view of their orders ("My products")."""

    CONSOLE = "pm"
    PATH = "/customers/{customer_id}/products"
    heading = role("heading", "My products", level=1)
    table = role("table", "Products")

    def open(self, customer_id: str) -> MyProductsPage:
        self.goto_known(f"Product Management has no customer {customer_id}",
                        ErrorCode.CUSTOMER_NOT_FOUND, customer_id=quote(customer_id, safe=""))
        return self

    def state_of(self, order_id: str) -> OrderState:
        for row in self.read_rows():
            if row.cells["Order ID"] == order_id:
                return OrderState(order_id=order_id, state=row.cells["State"])
        raise InputError(f"order {order_id} is not among the customer's products",
                         code=ErrorCode.ORDER_NOT_FOUND, page=self.name, url=self.page.url)

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        order = find_order(ctx, canary["pending_domain"])
        products = cls.of(ctx).open(order.customer_id)
        return products.states(products.read_rows())


class TransactionPage(DescriptionList):
    """An order's Transaction page: amount, certificate state, refund status, Refund button."""

    CONSOLE = "pm"
    PATH = "/orders/{order_id}/transaction"
    heading = role("heading", "Transaction", level=1)
    order_id_term = text("Order ID", exact=True)
    domain_term = text("Domain", exact=True)
    amount_term = text("Amount", exact=True)
    state_term = text("Certificate state", exact=True)
    refund_status_term = text("Refund status", exact=True)
    refund_button = role("button", "Refund", state="refundable", money=True)
    notice = role("status", state="notice")  # "Refund unavailable: ..." / "Refund issued: ..."
    alert = role("alert", state="alert")  # "Already refunded" (a second POST)

    def open(self, order_id: str) -> TransactionPage:
        self.goto_known(f"Product Management has no order {order_id}", ErrorCode.ORDER_NOT_FOUND,
                        order_id=quote(order_id, safe=""))
        return self

    def shown_or_open(self, order_id: str) -> TransactionPage:
        """The order's page as the tab shows it, opened only when the tab is elsewhere: every
        refund comes right after the ledger's probe (pm.read_transaction) loaded this very page,
        and loading it again shows the same. A refund already made is still read from it, and
        a click that lost a race is answered "Already refunded" by the console."""
        if self.page.url != self.url(order_id=quote(order_id, safe="")):
            self.open(order_id)
        return self

    def read(self) -> Transaction:
        values = self.details(self.order_id_term, self.domain_term, self.amount_term,
                              self.state_term, self.refund_status_term)
        status = values[self.refund_status_term]
        match = REFUND_STATUS.match(status)
        if match is None and status != "not refunded":
            raise self.drift(self.refund_status_term, f"reads {status!r}, not a refund status")
        state = values[self.state_term]
        if match is None and state in SHOWS_REFUND:
            self.find(self.refund_button)  # due here: its absence is drift, not "not refundable"
            refundable = True
        else:
            refundable = match is None and self.loc(self.refund_button).count() > 0
        return Transaction(
            order_id=values[self.order_id_term], domain=values[self.domain_term],
            amount=values[self.amount_term], certificate_state=state, refunded=match is not None,
            refund_ref=match["ref"] if match else None, refunded_at=match["at"] if match else None,
            refundable=refundable)

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        order = find_order(ctx, canary["pending_domain"])
        page = cls.of(ctx).open(order.order_id)
        values = page.details(page.state_term, page.refund_status_term)
        if values[page.refund_status_term] != "not refunded":
            return {"always"}
        return {"always", "refundable" if values[page.state_term] in SHOWS_REFUND else "notice"}


@action("pm.find_order", returns=Order,
        raises=(ErrorCode.DOMAIN_NOT_FOUND, ErrorCode.DOMAIN_AMBIGUOUS))
def find_order(ctx: ActionContext, domain: str) -> Order:
    """Search Product Management by domain and read the one order whose domain is exactly it."""
    wanted = domain.strip().lower()
    if not wanted:
        raise InputError("no domain given to search for",
                         code=ErrorCode.DOMAIN_NOT_FOUND, domain=domain)
    results = SearchPage.of(ctx).open().search(wanted)
    orders = results.exact(wanted)
    if not orders:
        raise InputError(f"Product Management has no order for the domain {wanted}",
                         code=ErrorCode.DOMAIN_NOT_FOUND, domain=wanted, page=results.name,
                         url=results.page.url)
    if len(orders) > 1:
        ids = ", ".join(o.order_id for o in orders)
        raise InputError(f"Product Management has {len(orders)} orders for the domain {wanted} "
                         f"({ids}); the ticket must name one", code=ErrorCode.DOMAIN_AMBIGUOUS,
                         domain=wanted, page=results.name, url=results.page.url)
    return orders[0]


@action("pm.order_state", returns=OrderState,
        raises=(ErrorCode.CUSTOMER_NOT_FOUND, ErrorCode.ORDER_NOT_FOUND))
def order_state(ctx: ActionContext, customer_id: str, order_id: str) -> OrderState:
    """The order's state in the customer's "My products" view (cancelled once they cancel)."""
    return MyProductsPage.of(ctx).open(customer_id).state_of(order_id)


@action("pm.read_transaction", returns=Transaction, raises=(ErrorCode.ORDER_NOT_FOUND,))
def read_transaction(ctx: ActionContext, order_id: str) -> Transaction:
    """Read the order's Transaction page: state, refund status, whether Refund is offered."""
    return TransactionPage.of(ctx).open(order_id).read()


def _receipt(tx: Transaction, already_done: bool) -> RefundReceipt:
    return RefundReceipt(order_id=tx.order_id, refund_ref=tx.refund_ref or "",
                         refunded_at=tx.refunded_at or "", amount=tx.amount,
                         already_done=already_done)


@action("pm.refund", Effect.SIDE_EFFECT, returns=RefundReceipt, probe="pm.read_transaction",
        done_if="probe.refunded", moves_money=True,
        raises=(ErrorCode.ORDER_NOT_FOUND, ErrorCode.REFUND_NOT_ALLOWED,
                ErrorCode.REFUND_UNCONFIRMED))
def refund(ctx: ActionContext, order_id: str) -> RefundReceipt:
    """Refund the order on its Transaction page; an order already refunded is not clicked.

    Only the Refund click moves money: a failure before it (the page, or the button, not
    there) is marked ``not_clicked``, so the ledger knows nothing was sent.
    """
    try:
        page = TransactionPage.of(ctx).shown_or_open(order_id)
        # The page was read a moment ago (the ledger's probe, pm.read_transaction, on this
        # very tab, or just loaded): one look for the Refund button, which the console shows
        # only on an order it would refund; the whole page is read again only without it.
        button = page.visible_now(page.refund_button)
        if button is None:
            before = page.read()
            if before.refunded:
                return _receipt(before, already_done=True)
            if not before.refundable:
                raise BusinessError(f"order {order_id} cannot be refunded: its certificate is "
                                    f"{before.certificate_state}; the customer must cancel it "
                                    "first", code=ErrorCode.REFUND_NOT_ALLOWED, page=page.name,
                                    url=page.page.url)
            button = page.find(page.refund_button)
    except (ConsoleError, DriftError) as exc:
        raise exc.with_context(**{NOT_CLICKED: True}) from None
    page.submit(page.refund_button, button)
    # "Refund issued: ref RF-..." or, if another refund won a race, "Already refunded"; either
    # way the refund status on the page is the receipt.
    arrived, outcome = first_visible((page, page.notice), (page, page.alert))
    after = page.read()
    if not after.refunded:
        raise ConsoleError(f"Product Management did not confirm the refund of {order_id}: "
                           f"{text_of(arrived.loc(outcome))}", code=ErrorCode.REFUND_UNCONFIRMED,
                           page=page.name, url=page.page.url)
    return _receipt(after, already_done=outcome is page.alert)
