"""The access email and the portal tokens it carries.

GeoTrust "emails the customer within 24 h": a mail is stored with a delivery time (now plus the
``mail_delay`` fault) and only shows in the outbox once that time has come. Its one link logs
the customer into the portal for that order.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sandbox.db import transaction
from sandbox.orders import Order
from sandbox.times import iso, parse_iso

PORTAL_LOGIN_PATH = "/portal/login/{token}"
SUBJECT = "Access to your GeoTrust user portal"
BODY = """Hello,

We received a request to access the user portal for the SSL certificate of {domain} \
(order {partner_order_id}).

In the portal you can renew, reissue, download or cancel your certificate. If you did not \
ask for access, you can ignore this email.

Kind regards,
GeoTrust Customer Support"""


@dataclass(frozen=True)
class Mail:
    """One access email."""

    id: int
    to: str
    subject: str
    body: str
    portal_token: str
    order_id: str
    deliver_at: datetime

    @property
    def link_path(self) -> str:
        """The portal link as a path on the sandbox server."""
        return PORTAL_LOGIN_PATH.format(token=self.portal_token)

    def to_json(self, base_url: str = "") -> dict[str, Any]:
        return {"id": self.id, "to": self.to, "subject": self.subject,
                "sent": iso(self.deliver_at), "link": base_url.rstrip("/") + self.link_path}


def _mail(row: sqlite3.Row) -> Mail:
    return Mail(row["id"], row["to_addr"], row["subject"], row["body"], row["portal_token"],
                row["order_id"], parse_iso(row["deliver_at"]))


def send_access_mail(conn: sqlite3.Connection, order: Order, now: datetime,
                     delay_seconds: float) -> Mail:
    """Queue the portal-access email to the order's admin email, due after the delay."""
    token = secrets.token_urlsafe(18)
    deliver_at = now + timedelta(seconds=delay_seconds)
    body = BODY.format(domain=order.domain, partner_order_id=order.partner_order_id)
    with transaction(conn):
        conn.execute("INSERT INTO portal_tokens (token, order_id, created_at) VALUES (?, ?, ?)",
                     (token, order.order_id, iso(now)))
        cur = conn.execute(
            "INSERT INTO mails (to_addr, subject, body, portal_token, order_id, created_at,"
            " deliver_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (order.admin_email, SUBJECT, body, token, order.order_id, iso(now), iso(deliver_at)))
    return Mail(int(cur.lastrowid or 0), order.admin_email, SUBJECT, body, token, order.order_id,
                deliver_at)


def delivered(conn: sqlite3.Connection, now: datetime) -> list[Mail]:
    """Mails whose delivery time has come, newest first."""
    rows = conn.execute("SELECT * FROM mails ORDER BY deliver_at DESC, id DESC")
    return [m for m in map(_mail, rows) if m.deliver_at <= now]


def delivered_one(conn: sqlite3.Connection, mail_id: int, now: datetime) -> Mail | None:
    """One mail, only if it has been delivered."""
    row = conn.execute("SELECT * FROM mails WHERE id = ?", (mail_id,)).fetchone()
    mail = _mail(row) if row else None
    return mail if mail and mail.deliver_at <= now else None


def order_for_token(conn: sqlite3.Connection, token: str) -> str | None:
    """The order a portal link belongs to."""
    row = conn.execute("SELECT order_id FROM portal_tokens WHERE token = ?", (token,)).fetchone()
    return str(row["order_id"]) if row else None


def open_portal_session(conn: sqlite3.Connection, order_id: str, now: datetime) -> str:
    """Start a portal session for the order; returns the cookie value."""
    session_id = secrets.token_urlsafe(18)
    with transaction(conn):
        conn.execute("INSERT INTO portal_sessions (session_id, order_id, created_at)"
                     " VALUES (?, ?, ?)", (session_id, order_id, iso(now)))
    return session_id


def portal_order(conn: sqlite3.Connection, session_id: str) -> str | None:
    """The order behind a portal session cookie."""
    row = conn.execute("SELECT order_id FROM portal_sessions WHERE session_id = ?",
                       (session_id,)).fetchone()
    return str(row["order_id"]) if row else None
