"""The written procedure, end to end through the page objects (support and customer sides)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pages import geotrust, mail, pm, portal, symantec
from runner.browser.session import RunSession

if TYPE_CHECKING:
    from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser


def test_cancel_and_refund_an_issued_certificate(session: RunSession, sandbox: SandboxClient,
                                                 layout: str) -> None:
    # Support: find the order, look it up at Symantec, request access at GeoTrust.
    order = pm.find_order(session, "fresh-issued.example")
    assert (order.state, order.setup_pending) == ("issued", False)
    info = symantec.order_info(session, order.partner_order_id)
    captcha = geotrust.read_captcha(session, info.common_name, info.admin_email)
    answer = sandbox.solve_captcha(Path(captcha.image_path))  # the person reading the image
    geotrust.request_access(session, info.common_name, info.admin_email, answer)
    assert not pm.read_transaction(session, order.order_id).refundable

    # Customer: the link at the bottom of the email, Cancel Certificate mid-screen.
    link = mail.access_link(session, info.admin_email)
    assert portal.cancel_certificate(session, link.url).status == "Cancelled"

    # Support: the wait step sees the cancellation in My products, then refunds.
    assert pm.order_state(session, order.customer_id, order.order_id).state == "cancelled"
    receipt = pm.refund(session, order.order_id)

    refunds = sandbox.refunds(order.order_id)
    assert [r["ref"] for r in refunds] == [receipt.refund_ref]
    assert pm.read_transaction(session, order.order_id).refunded


def test_refund_a_certificate_not_yet_set_up(session: RunSession, sandbox: SandboxClient) -> None:
    order = pm.find_order(session, "pending.example")
    assert order.setup_pending

    receipt = pm.refund(session, order.order_id)

    assert [r["ref"] for r in sandbox.refunds(order.order_id)] == [receipt.refund_ref]
