"""Orders, customers and refunds: what Product Management, Symantec and the portal show.

A refund is the side effect this project must never double, so ``refund()`` checks and writes
under one write lock and answers "already refunded" instead of writing a second row.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sandbox.db import transaction
from sandbox.times import iso, parse_iso, to_utc

STATES = ("pending_setup", "issued", "cancelled", "refunded")
REFUNDABLE_STATES = frozenset({"pending_setup", "cancelled"})
ACTIVE_STATES = frozenset({"pending_setup", "issued"})
DEFAULT_PRODUCT = ("GeoTrust QuickSSL Premium", 14900)
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class OrderError(ValueError):
    """An order cannot be added or changed as asked (bad domain, state, duplicate)."""


class NotRefundable(OrderError):
    """The certificate is issued: it must be cancelled before it can be refunded."""


@dataclass(frozen=True)
class Refund:
    """One refund row; ``ref`` looks like ``RF-1A2B3C4D``."""

    ref: str
    order_id: str
    domain: str
    amount_cents: int
    currency: str
    refunded_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "order_id": self.order_id, "domain": self.domain,
                "amount": format_amount(self.amount_cents, self.currency),
                "refunded_at": iso(self.refunded_at)}


@dataclass(frozen=True)
class Order:
    """An order as Product Management knows it, with its refund if there is one."""

    order_id: str
    partner_order_id: str
    domain: str
    customer_id: str
    customer: str
    product: str
    amount_cents: int
    currency: str
    purchased_at: datetime
    state: str
    admin_email: str
    refund: Refund | None
    common_name: str  # what Symantec and GeoTrust show; the domain unless seeded otherwise

    @property
    def amount(self) -> str:
        return format_amount(self.amount_cents, self.currency)

    @property
    def refundable(self) -> bool:
        """Refundable means not issued (Setup still shown, or cancelled) and not yet refunded."""
        return self.state in REFUNDABLE_STATES and self.refund is None

    def to_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id, "partner_order_id": self.partner_order_id,
            "domain": self.domain, "customer": self.customer, "customer_id": self.customer_id,
            "product": self.product, "amount": self.amount,
            "purchased_at": iso(self.purchased_at), "state": self.state,
            "admin_email": self.admin_email, "common_name": self.common_name,
            "refund": self.refund.to_json() if self.refund else None,
        }


@dataclass(frozen=True)
class RefundOutcome:
    """The refund now on the order, and whether this call was the one that made it."""

    refund: Refund
    created: bool


def format_amount(cents: int, currency: str) -> str:
    """``USD 149.00``."""
    return f"{currency} {cents // 100}.{cents % 100:02d}"


_SELECT = """
SELECT o.*, c.name AS customer,
       r.ref AS refund_ref, r.amount_cents AS refund_cents, r.currency AS refund_currency,
       r.refunded_at AS refunded_at
FROM orders o
JOIN customers c ON c.customer_id = o.customer_id
LEFT JOIN refunds r ON r.num = (SELECT MIN(num) FROM refunds WHERE order_id = o.order_id)
"""


def _order(row: sqlite3.Row) -> Order:
    refund = None
    if row["refund_ref"] is not None:
        refund = Refund(row["refund_ref"], row["order_id"], row["domain"], row["refund_cents"],
                        row["refund_currency"], parse_iso(row["refunded_at"]))
    return Order(row["order_id"], row["partner_order_id"], row["domain"], row["customer_id"],
                 row["customer"], row["product"], row["amount_cents"], row["currency"],
                 parse_iso(row["purchased_at"]), row["state"], row["admin_email"], refund,
                 row["common_name"] or row["domain"])


def search(conn: sqlite3.Connection, fragment: str) -> list[Order]:
    """Orders whose domain contains ``fragment`` (case-insensitive), as PM's search does."""
    pattern = "%" + fragment.strip().lower().replace("\\", "\\\\").replace("%", "\\%")
    pattern = pattern.replace("_", "\\_") + "%"
    rows = conn.execute(_SELECT + " WHERE o.domain LIKE ? ESCAPE '\\' ORDER BY o.num", (pattern,))
    return [_order(r) for r in rows]


def all_orders(conn: sqlite3.Connection) -> list[Order]:
    """Every order, oldest first."""
    return [_order(r) for r in conn.execute(_SELECT + " ORDER BY o.num")]


def by_id(conn: sqlite3.Connection, order_id: str) -> Order | None:
    """The order with this ``ORD-`` id."""
    row = conn.execute(_SELECT + " WHERE o.order_id = ?", (order_id,)).fetchone()
    return _order(row) if row else None


def by_partner_id(conn: sqlite3.Connection, partner_order_id: str) -> Order | None:
    """The order with this ``PO-`` id (Symantec's key)."""
    row = conn.execute(_SELECT + " WHERE o.partner_order_id = ?", (partner_order_id,)).fetchone()
    return _order(row) if row else None


def by_customer(conn: sqlite3.Connection, customer_id: str) -> list[Order]:
    """One customer's orders ("My products")."""
    rows = conn.execute(_SELECT + " WHERE o.customer_id = ? ORDER BY o.num", (customer_id,))
    return [_order(r) for r in rows]


def customer_name(conn: sqlite3.Connection, customer_id: str) -> str | None:
    """The customer's display name, or None if unknown."""
    row = conn.execute("SELECT name FROM customers WHERE customer_id = ?", (customer_id,))
    found = row.fetchone()
    return found["name"] if found else None


def active_for(conn: sqlite3.Connection, domain: str, email: str) -> Order | None:
    """The issued or pending order whose common name and admin email match (GeoTrust's check)."""
    row = conn.execute(
        _SELECT + " WHERE COALESCE(o.common_name, o.domain) = ? AND lower(o.admin_email) = ?"
        " AND o.state IN ('pending_setup', 'issued') ORDER BY o.num DESC",
        (domain.strip().lower(), email.strip().lower()),
    ).fetchone()
    return _order(row) if row else None


def _customer_id(conn: sqlite3.Connection, name: str) -> str:
    row = conn.execute("SELECT customer_id FROM customers WHERE name = ?", (name,)).fetchone()
    if row:
        return str(row["customer_id"])
    count = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    customer_id = f"CUS-{2001 + count}"
    conn.execute("INSERT INTO customers (customer_id, name) VALUES (?, ?)", (customer_id, name))
    return customer_id


def insert_order(conn: sqlite3.Connection, *, domain: str, purchased_at: datetime, state: str,
                 admin_email: str | None = None, customer: str | None = None,
                 product: tuple[str, int] = DEFAULT_PRODUCT, canary: bool = False,
                 common_name: str | None = None) -> str:
    """Insert an order inside the caller's transaction; returns its order ID.

    One certificate per domain: a domain with an issued or pending order cannot get another.
    A ``refunded`` order gets its refund row too, dated a day after purchase. ``common_name``
    seeds a Symantec record that disagrees with Product Management (the runner must stop);
    ``admin_email=""`` one with no admin email (None means ``admin@DOMAIN``).
    """
    domain = domain.strip().lower()
    if not DOMAIN_RE.match(domain):
        raise OrderError(f"not a domain name: {domain!r}")
    common_name = common_name.strip().lower() if common_name else None
    if common_name is not None and not DOMAIN_RE.match(common_name):
        raise OrderError(f"not a domain name: {common_name!r}")
    if state not in STATES:
        raise OrderError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    clash = conn.execute("SELECT order_id FROM orders WHERE domain = ? AND state IN "
                         "('pending_setup', 'issued')", (domain,)).fetchone()
    if clash and state in ACTIVE_STATES:
        raise OrderError(f"{domain} already has an active certificate ({clash['order_id']})")
    num = conn.execute("SELECT COALESCE(MAX(num), 0) + 1 FROM orders").fetchone()[0]
    order_id, partner_id = f"ORD-{10000 + num}", f"PO-{7700000 + num}"
    name = (customer or f"Customer of {domain}").strip()
    conn.execute(
        "INSERT INTO orders (num, order_id, partner_order_id, domain, customer_id, product,"
        " amount_cents, currency, purchased_at, state, admin_email, canary, common_name)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'USD', ?, ?, ?, ?, ?)",
        (num, order_id, partner_id, domain, _customer_id(conn, name), product[0], product[1],
         iso(purchased_at), state,
         (f"admin@{domain}" if admin_email is None else admin_email).strip().lower(),
         int(canary), common_name),
    )
    if state == "refunded":
        _insert_refund(conn, order_id, product[1], "USD", to_utc(purchased_at) + timedelta(days=1))
    return order_id


def add_order(conn: sqlite3.Connection, **fields: Any) -> Order:
    """Add an order in its own transaction (CLI ``add-order``, ``POST /sandbox/orders``)."""
    with transaction(conn):
        order_id = insert_order(conn, **fields)
    found = by_id(conn, order_id)
    assert found is not None
    return found


def _insert_refund(conn: sqlite3.Connection, order_id: str, cents: int, currency: str,
                   when: datetime) -> str:
    ref = "RF-" + secrets.token_hex(4).upper()
    conn.execute("INSERT INTO refunds (ref, order_id, amount_cents, currency, refunded_at)"
                 " VALUES (?, ?, ?, ?, ?)", (ref, order_id, cents, currency, iso(when)))
    return ref


def refund(conn: sqlite3.Connection, order_id: str, now: datetime) -> RefundOutcome:
    """Refund once: a refunded order answers with its existing refund and ``created=False``."""
    with transaction(conn):
        order = by_id(conn, order_id)
        if order is None:
            raise OrderError(f"no order {order_id}")
        if order.refund is None:
            if order.state not in REFUNDABLE_STATES:
                raise NotRefundable("Refund unavailable: certificate is issued")
            _insert_refund(conn, order_id, order.amount_cents, order.currency, now)
            conn.execute("UPDATE orders SET state = 'refunded' WHERE order_id = ?", (order_id,))
            created = True
        else:
            created = False
    after = by_id(conn, order_id)
    assert after is not None and after.refund is not None
    return RefundOutcome(after.refund, created)


def set_state(conn: sqlite3.Connection, order_id: str, state: str, *,
              only_from: frozenset[str] = frozenset(STATES)) -> bool:
    """Move an order to ``state`` if it is in one of ``only_from``; True if it changed."""
    with transaction(conn):
        cur = conn.execute(
            f"UPDATE orders SET state = ? WHERE order_id = ? AND state IN "
            f"({', '.join('?' * len(only_from))})", (state, order_id, *sorted(only_from)))
    return cur.rowcount == 1


def refunds(conn: sqlite3.Connection, order_id: str | None = None,
            domain: str | None = None) -> list[Refund]:
    """Every refund row (optionally for one order or domain): tests count these."""
    sql = ("SELECT r.*, o.domain FROM refunds r JOIN orders o ON o.order_id = r.order_id"
           " WHERE (? IS NULL OR r.order_id = ?) AND (? IS NULL OR o.domain = ?) ORDER BY r.num")
    rows = conn.execute(sql, (order_id, order_id, domain, domain))
    return [Refund(r["ref"], r["order_id"], r["domain"], r["amount_cents"], r["currency"],
                   parse_iso(r["refunded_at"])) for r in rows]
