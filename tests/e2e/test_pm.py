"""Product Management page objects against the sandbox, on the normal and cosmetic layouts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Request

from pages import pm
from runner.browser.session import RunSession
from runner.errors import BusinessError, InputError
from tests.e2e.once import untouched

if TYPE_CHECKING:
    from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("domain", "customer", "state", "setup_pending"), [
    ("shop.example", "Sam Shop", "issued", False),
    ("myshop.example", "Mia Myshop", "pending_setup", True),
])
def test_find_order_picks_the_row_whose_domain_is_exactly_it(
        session: RunSession, sandbox: SandboxClient, layout: str, domain: str, customer: str,
        state: str, setup_pending: bool) -> None:
    expected = sandbox.order(domain)

    order = pm.find_order(session, f"  {domain.upper()} ")

    assert order == pm.Order(
        order_id=expected["order_id"], partner_order_id=expected["partner_order_id"],
        domain=domain, customer=customer, customer_id=expected["customer_id"],
        product=expected["product"], purchased_at=expected["purchased_at"], state=state,
        setup_pending=setup_pending)
    assert datetime.fromisoformat(order.purchased_at).utcoffset() is not None


def test_find_order_unknown_domain_is_an_input_error(session: RunSession, layout: str) -> None:
    with pytest.raises(InputError, match="no order for the domain nosuch.example") as caught:
        pm.find_order(session, "nosuch.example")
    assert caught.value.code == "domain_not_found"
    assert caught.value.kind == "input"


def test_find_order_domain_only_contained_in_others_is_not_found(session: RunSession) -> None:
    # "hop.example" is inside shop.example and myshop.example, but neither is it.
    with pytest.raises(InputError, match="hop.example") as caught:
        pm.find_order(session, "hop.example")
    assert caught.value.code == "domain_not_found"


def test_find_order_two_exact_rows_is_ambiguous(session: RunSession,
                                                sandbox: SandboxClient) -> None:
    sandbox.add_order(domain="shop.example", purchased_at="2024-01-02T03:04:05+00:00",
                      state="cancelled", customer="Sam Shop")
    with pytest.raises(InputError, match="2 orders for the domain shop.example") as caught:
        pm.find_order(session, "shop.example")
    assert caught.value.code == "domain_ambiguous"


def test_order_state_reads_my_products(session: RunSession, sandbox: SandboxClient,
                                       layout: str) -> None:
    order = sandbox.order("pending.example")

    state = pm.order_state(session, order["customer_id"], order["order_id"])

    assert state == pm.OrderState(order_id=order["order_id"], state="pending_setup")


def test_order_state_of_an_order_not_the_customers(session: RunSession,
                                                   sandbox: SandboxClient) -> None:
    mine, other = sandbox.order("pending.example"), sandbox.order("shop.example")
    with pytest.raises(InputError, match=other["order_id"]) as caught:
        pm.order_state(session, mine["customer_id"], other["order_id"])
    assert caught.value.code == "order_not_found"


@pytest.mark.parametrize(("domain", "refundable", "refunded"), [
    ("pending.example", True, False),
    ("cancelled.example", True, False),
    ("fresh-issued.example", False, False),
    ("refunded.example", False, True),
])
def test_read_transaction(session: RunSession, sandbox: SandboxClient, layout: str, domain: str,
                          refundable: bool, refunded: bool) -> None:
    order = sandbox.order(domain)

    tx = pm.read_transaction(session, order["order_id"])

    refund = order["refund"] or {}
    assert tx == pm.Transaction(
        order_id=order["order_id"], domain=domain, amount=order["amount"],
        certificate_state=order["state"], refunded=refunded, refund_ref=refund.get("ref"),
        refunded_at=refund.get("refunded_at"), refundable=refundable)


def test_read_transaction_of_unknown_order(session: RunSession) -> None:
    with pytest.raises(InputError, match="ORD-99999") as caught:
        pm.read_transaction(session, "ORD-99999")
    assert caught.value.code == "order_not_found"


def test_refund_of_a_pending_order_happens_once_however_often_it_is_called(
        session: RunSession, sandbox: SandboxClient, layout: str) -> None:
    order = sandbox.order("pending.example")
    posts: list[Request] = []
    session.context.on("request", lambda r: posts.append(r) if r.method == "POST" else None)

    first = pm.refund(session, order["order_id"])
    second = pm.refund(session, order["order_id"])

    refunds = sandbox.refunds(order["order_id"])
    assert len(refunds) == 1
    assert first == pm.RefundReceipt(
        order_id=order["order_id"], refund_ref=refunds[0]["ref"],
        refunded_at=refunds[0]["refunded_at"], amount=order["amount"], already_done=False)
    assert second == replace(first, already_done=True)
    assert [p.url.rsplit("/", 1)[-1] for p in posts] == ["refund"]  # the second never clicked
    assert pm.read_transaction(session, order["order_id"]).refunded


def test_refund_of_an_issued_order_is_not_allowed(session: RunSession, sandbox: SandboxClient,
                                                  layout: str) -> None:
    order = sandbox.order("fresh-issued.example")
    with pytest.raises(BusinessError, match="cannot be refunded: its certificate is issued") as e:
        pm.refund(session, order["order_id"])
    assert (e.value.code, e.value.kind) == ("refund_not_allowed", "business")
    untouched(sandbox, order["order_id"])


def test_refund_of_a_refunded_order_returns_the_existing_refund(session: RunSession,
                                                                sandbox: SandboxClient) -> None:
    order = sandbox.order("refunded.example")

    receipt = pm.refund(session, order["order_id"])

    assert (receipt.refund_ref, receipt.already_done) == (order["refund"]["ref"], True)
    assert len(sandbox.refunds(order["order_id"])) == 1  # the seed's
    untouched(sandbox, order["order_id"])  # read, never clicked
