"""What page-object actions return: plain, frozen data that flows store as step outputs.

Timestamps stay the ISO 8601 strings the consoles show (with their offset), so a step output
survives JSON round trips unchanged; the refund-window policy parses them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Order:
    """One Product Management order, as its search results row shows it."""

    order_id: str
    partner_order_id: str
    domain: str
    customer: str
    customer_id: str
    product: str
    purchased_at: str
    state: str
    setup_pending: bool  # the row still shows the Setup button: not issued yet


@dataclass(frozen=True)
class OrderState:
    """An order's state as the customer's "My products" view shows it."""

    order_id: str
    state: str


@dataclass(frozen=True)
class Transaction:
    """The Transaction page of an order."""

    order_id: str
    domain: str
    amount: str
    certificate_state: str
    refunded: bool
    refund_ref: str | None
    refunded_at: str | None
    refundable: bool  # the Refund button is shown


@dataclass(frozen=True)
class RefundReceipt:
    """A refund on an order, whether this run made it or found it made (``already_done``)."""

    order_id: str
    refund_ref: str
    refunded_at: str
    amount: str
    already_done: bool = False


@dataclass(frozen=True)
class OrderInfo:
    """The Symantec Order Information page."""

    partner_order_id: str
    common_name: str
    admin_email: str
    status: str
    product: str


@dataclass(frozen=True)
class Captcha:
    """The GeoTrust image number, saved for the person who reads it."""

    image_path: str
    domain: str
    email: str


@dataclass(frozen=True)
class AccessRequest:
    """GeoTrust accepted the request and mails the customer a link to their portal."""

    domain: str
    email: str
    confirmation: str


@dataclass(frozen=True)
class AccessStatus:
    """Whether an access request is visible anywhere (GeoTrust shows nothing: known=False)."""

    known: bool
    requested: bool


@dataclass(frozen=True)
class AccessLink:
    """The portal link at the bottom of GeoTrust's access email."""

    url: str
    subject: str
    to: str


@dataclass(frozen=True)
class PortalStatus:
    """The certificate as the customer's user portal shows it."""

    domain: str
    status: str


@dataclass(frozen=True)
class PortalCancellation(PortalStatus):
    """The certificate after the customer cancelled it in the portal (its status, as shown)."""
