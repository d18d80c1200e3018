"""The "once" check can fail: a console clicked twice, as a double-clicking build would click it
(two refund POSTs, two access requests, over HTTP to the real sandbox server), is caught, while
the refund rows alone look the same as after one click. Every test that claims "once" or
"never" asserts through tests/e2e/once.py, so each of them would fail the same way."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SandboxClient
from tests.e2e.once import console_saw, exactly_once, untouched
from tests.sandbox.browsing import HttpSession, request_access


def _click_refund(sandbox: SandboxClient, order_id: str) -> None:
    page = HttpSession(sandbox.url).post(f"/pm/orders/{order_id}/refund")
    assert page.status == 200, page.text


def test_one_refund_click_passes(sandbox: SandboxClient) -> None:
    order_id = sandbox.order("pending.example")["order_id"]
    untouched(sandbox, order_id)
    _click_refund(sandbox, order_id)
    exactly_once(sandbox, order_id, access=False)


def test_a_second_refund_click_fails_though_the_rows_show_one_refund(
        sandbox: SandboxClient) -> None:
    order_id = sandbox.order("pending.example")["order_id"]
    _click_refund(sandbox, order_id)
    _click_refund(sandbox, order_id)  # "Already refunded": no second row
    assert len(sandbox.refunds(order_id)) == 1
    with pytest.raises(AssertionError, match=r"'refund': 2"):
        exactly_once(sandbox, order_id, access=False)
    with pytest.raises(AssertionError, match=r"'refund': 2"):
        console_saw(sandbox, order_id, refund=1)
    with pytest.raises(AssertionError, match=r"'refund': 2"):
        untouched(sandbox, order_id)


def test_a_second_access_request_fails(sandbox: SandboxClient) -> None:
    order = sandbox.order("fresh-issued.example")
    for _ in range(2):
        sent = request_access(HttpSession(sandbox.url), order["domain"], order["admin_email"])
        assert sent.status == 200, sent.text
    with pytest.raises(AssertionError, match=r"'request_access': 2, 'access_mails': 2"):
        console_saw(sandbox, order["order_id"], access=1)


def test_a_missing_click_fails_too(sandbox: SandboxClient) -> None:
    order_id = sandbox.order("pending.example")["order_id"]
    with pytest.raises(AssertionError, match=r"'refund': 0"):
        exactly_once(sandbox, order_id, access=False)
