"""The refund-window policy: a refund only within 30 days of purchase.

Refunding outside the window leaves the company paying for the certificate, so this decision is
taken first, from aware datetimes only (a naive one is refused: guessing its zone could move the
boundary by a day), and the boundary itself is inclusive. When the answer is no, the decision
carries the text a support person would send the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from runner.errors import InputError

REFUND_WINDOW = timedelta(days=30)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@dataclass(frozen=True)
class WindowDecision:
    """``days_left`` counts whole days still open (0 on the last day, and when closed)."""

    eligible: bool
    purchased_at: datetime
    window_ends_at: datetime
    days_left: int
    message: str


def aware(value: datetime | str, what: str = "datetime") -> datetime:
    """An aware datetime from a datetime or an ISO 8601 string with an offset (or Z)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise InputError(f"{what} {value!r} is not an ISO 8601 date and time",
                             code="bad_datetime") from exc
    if not isinstance(value, datetime):
        raise InputError(f"{what} must be a date and time, got {value!r}", code="bad_datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{what} {value.isoformat()} has no time zone; give an offset such as "
                         "+00:00, a naive time could move the refund boundary by a day",
                         code="naive_datetime")
    return value


def long_date(value: datetime) -> str:
    """``3 March 2026``: unambiguous for customers on either side of the Atlantic."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def expired_message(purchased_at: datetime, window_ends_at: datetime, window: timedelta) -> str:
    """What the customer is told when the window has closed: the policy and the way forward."""
    days = window.days
    return (f"We can only refund a certificate within {days} days of purchase. This certificate "
            f"was purchased on {long_date(purchased_at)}, so its refund window ended on "
            f"{long_date(window_ends_at)} and we cannot refund it. We can still cancel the "
            "certificate for you, without a refund, for example so that you can set up a new "
            "one for the same domain. Reply to this ticket if you would like us to do that.")


def decide(purchased_at: datetime | str, now: datetime | str,
           window: timedelta = REFUND_WINDOW) -> WindowDecision:
    """Eligible iff ``now <= purchased_at + window``; dates in messages use the purchase's zone."""
    if window <= timedelta(0):
        raise InputError(f"refund window must be positive, got {window}", code="bad_window")
    bought = aware(purchased_at, "purchase date")
    at = aware(now, "current time")
    ends = bought + window
    eligible = at <= ends
    days_left = (ends - at).days if eligible else 0
    if eligible:
        message = (f"Refund possible until {long_date(ends)} "
                   f"({days_left} day{'s' if days_left != 1 else ''} left).")
    else:
        message = expired_message(bought, ends, window)
    return WindowDecision(eligible, bought, ends, days_left, message)


def cap_deadline(deadline: datetime, window_ends_at: datetime | str) -> datetime:
    """A wait never outlives the refund window: the earlier of its deadline and the window end."""
    ends = aware(window_ends_at, "window end")
    return min(aware(deadline, "deadline"), ends)
