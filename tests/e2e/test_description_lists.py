"""How a page of details is read: each term with the element after it, in one browser call.

The Transaction page object reads a page set by the test (no sandbox), so the list can be
broken in ways the sandbox never breaks it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from pages.pm import TransactionPage
from runner.errors import DriftError, ErrorCode

pytestmark = pytest.mark.browser

WHOLE = """<h1>Transaction</h1><dl>
<dt>Order ID</dt><dd> ORD-1 </dd>
<dt>Domain</dt><dd>shop.example</dd>
<div><dt>Amount</dt><dd>USD <b>199.00</b></dd></div>
</dl>"""


def test_each_term_is_read_with_the_element_after_it(page: Page) -> None:
    page.set_content(WHOLE)
    tx = TransactionPage(page, "")
    values = tx.details(tx.order_id_term, tx.amount_term, tx.domain_term)
    assert values == {tx.order_id_term: "ORD-1", tx.amount_term: "USD 199.00",
                      tx.domain_term: "shop.example"}


def test_a_term_with_no_definition_after_it_is_drift_on_the_definitions(page: Page) -> None:
    page.set_content("<dl><dt>Order ID</dt><dt>Domain</dt><dd>shop.example</dd></dl>")
    tx = TransactionPage(page, "")
    with pytest.raises(DriftError) as raised:
        tx.details(tx.domain_term)
    assert raised.value.code is ErrorCode.PAGE_DRIFT
    assert "definitions" in str(raised.value) and "after Order ID" in str(raised.value)


def test_a_wanted_term_the_page_lacks_is_drift_on_that_term(page: Page) -> None:
    page.set_content(WHOLE)
    tx = TransactionPage(page, "")
    with pytest.raises(DriftError) as raised:
        tx.details(tx.order_id_term, tx.refund_status_term)
    assert raised.value.code is ErrorCode.LOCATOR_MISSING
    assert "refund_status_term" in str(raised.value)
    assert "terms: Order ID, Domain, Amount" in str(raised.value)
