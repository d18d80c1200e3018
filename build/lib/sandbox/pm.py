"""Product Management (internal, no login): search, My products, Transaction, refund, setup."""

from __future__ import annotations

from flask import Blueprint, abort, request

from sandbox import orders, web
from sandbox.orders import NotRefundable, Order

bp = Blueprint("pm", __name__, url_prefix="/pm")


def _order_or_404(order_id: str) -> Order:
    found = orders.by_id(web.conn(), order_id)
    if found is None:
        abort(404)
    return found


@bp.get("/")
def search_form() -> tuple[str, int]:
    """The search page: one Domain textbox."""
    return web.page("pm_search.html")


@bp.get("/search")
def search() -> tuple[str, int]:
    """Orders whose domain contains the search text (``shop.example`` finds ``myshop``)."""
    domain = request.args.get("domain", "").strip()
    if not domain:
        return web.page("pm_search.html", 400, error="Enter a domain to search")
    found = orders.search(web.conn(), domain)
    notice = None if found else "No orders match"
    return web.page("pm_results.html", domain=domain, orders=found, notice=notice)


@bp.get("/customers/<customer_id>/products")
def products(customer_id: str) -> tuple[str, int]:
    """The customer's view: only their orders."""
    name = orders.customer_name(web.conn(), customer_id)
    if name is None:
        abort(404)
    return web.page("pm_products.html", customer=name,
                    orders=orders.by_customer(web.conn(), customer_id))


@bp.get("/orders/<order_id>/transaction")
def transaction(order_id: str) -> tuple[str, int]:
    """The Transaction page; Refund only while refundable."""
    return web.page("pm_transaction.html", order=_order_or_404(order_id))


@bp.post("/orders/<order_id>/refund")
def refund(order_id: str) -> tuple[str, int]:
    """Refund once; a second POST says "Already refunded" and writes nothing."""
    order = _order_or_404(order_id)
    try:
        outcome = orders.refund(web.conn(), order.order_id, web.now())
    except NotRefundable as exc:
        return web.page("pm_transaction.html", 409, order=order, error=str(exc))
    order = _order_or_404(order_id)
    if not outcome.created:
        return web.page("pm_transaction.html", order=order, error="Already refunded")
    return web.page("pm_transaction.html", order=order,
                    notice=f"Refund issued: ref {outcome.refund.ref}")


@bp.get("/orders/<order_id>/setup")
def setup_form(order_id: str) -> tuple[str, int]:
    """Where the Setup button leads: the certificate setup step (nothing changes yet)."""
    return web.page("pm_setup.html", order=_order_or_404(order_id))


@bp.post("/orders/<order_id>/setup")
def setup(order_id: str) -> tuple[str, int]:
    """Issue a pending certificate (how a test turns ``pending_setup`` into ``issued``)."""
    order = _order_or_404(order_id)
    changed = orders.set_state(web.conn(), order.order_id, "issued",
                               only_from=frozenset({"pending_setup"}))
    order = _order_or_404(order_id)
    if not changed:
        return web.page("pm_setup.html", 409, order=order,
                        error=f"The certificate cannot be set up: it is {order.state}")
    return web.page("pm_setup.html", order=order,
                    notice=f"Certificate issued for {order.domain}")
