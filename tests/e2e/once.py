"""Money and mail per order, as the consoles saw them: the one check behind every test that
claims a refund or an access request happened once (or never).

Refund rows cannot tell: the sandbox answers a second refund POST "Already refunded" and writes
no second row, so a runner that clicks twice leaves the same rows as one that clicks once. The
sandbox counts every side-effecting POST per order whatever it then answers (sandbox/posts.py);
this reads those counts, and the access mails, and compares them whole.
tests/e2e/test_once.py shows it failing against a console that was clicked twice.
"""

from __future__ import annotations

from tests.e2e.conftest import SandboxClient


def console_saw(sandbox: SandboxClient, order_id: str, *, refund: int = 0,
                access: int = 0) -> None:
    """Exactly ``refund`` refund POSTs, ``access`` access-request POSTs and ``access`` access
    mails reached the consoles for ``order_id``: no more, no fewer."""
    seen = sandbox.posts(order_id)
    expected = {"refund": refund, "request_access": access, "access_mails": access}
    assert seen == expected, (
        f"order {order_id}: the consoles saw {seen}, expected {expected}")


def exactly_once(sandbox: SandboxClient, order_id: str, *, access: bool) -> None:
    """One refund POST and the one refund row it wrote; one access request and one mail when
    the order was issued (the customer had to cancel it), none otherwise."""
    console_saw(sandbox, order_id, refund=1, access=1 if access else 0)
    rows = sandbox.refunds(order_id)
    assert len(rows) == 1, f"order {order_id}: refund rows {rows}"


def untouched(sandbox: SandboxClient, order_id: str) -> None:
    """No refund POST, no access request, no mail for ``order_id``."""
    console_saw(sandbox, order_id)
