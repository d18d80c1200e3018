"""The mail catcher (customer side): GeoTrust's access email and the portal link at its bottom.

Flows never use this console; the demo and the tests play the customer with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast
from urllib.parse import urljoin

from pages.base import (
    PageObject,
    pw,
    role,
    text_of,
    texts,
)
from pages.models import AccessLink
from runner.actions import ActionContext, Actor, RunContext, action
from runner.errors import ConsoleError, ErrorCode

if TYPE_CHECKING:
    from playwright.sync_api import Locator

POLL_MS = 500  # how long one look at the inbox waits for the mail before reloading


@dataclass(frozen=True)
class Listed:
    """One listed message: who it is to, when it was sent, and its row."""

    to: str
    sent: datetime
    row: Locator


class InboxPage(PageObject):
    """Outbox: every delivered message, its subject a link to it."""

    CONSOLE = "mail"
    PATH = "/"
    heading = role("heading", "Outbox", level=1)
    messages = role("table", "Messages")
    column_headers = role("columnheader", within="messages", many=True)
    rows = role("row", within="messages", many=True)  # the header row is always one
    cells = role("cell", within="rows", state="mail", many=True)
    subject_link = role("link", within="rows", state="mail", many=True)

    def open(self) -> InboxPage:
        self.goto()
        return self

    def newest_to(self, email: str) -> Listed | None:
        """The newest listed message to ``email`` (exact address), if any."""
        self.find(self.messages)
        headers = texts(self.loc(self.column_headers))
        if "To" not in headers or "Sent" not in headers:
            raise self.drift(self.column_headers, f"lacks To or Sent (has {', '.join(headers)})",
                             ErrorCode.LOCATOR_MISSING)
        found = []
        for row in self.loc(self.rows).all():
            cells = dict(zip(headers, texts(self.sub(self.cells, row)), strict=False))
            if cells.get("To", "").lower() == email.lower():
                try:
                    sent = datetime.fromisoformat(cells["Sent"])
                except ValueError:
                    raise self.drift(self.cells,
                                     f"Sent {cells['Sent']!r} is not ISO 8601") from None
                found.append(Listed(cells["To"], sent, row))
        return max(found, key=lambda m: m.sent) if found else None

    def wait_for_mail(self, email: str, timeout_s: float) -> Listed:
        """Reload until a message to ``email`` is listed (delivery may be delayed), or give up."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.open()
            listed = self.newest_to(email)
            if listed is not None:
                return listed
            remaining_ms = (deadline - time.monotonic()) * 1000
            if remaining_ms <= 0:
                raise ConsoleError(f"no mail to {email} arrived within {timeout_s:g} s",

                                   code=ErrorCode.MAIL_NOT_DELIVERED,
                                   page=self.name, url=self.page.url)
            # This server-rendered page changes only on reload: waiting (bounded by the poll
            # interval) for the row paces the reloads on a page state rather than a sleep.
            try:
                self.loc(self.rows).filter(has_text=email).first.wait_for(
                    state="visible", timeout=min(POLL_MS, remaining_ms))
            except pw.TimeoutError:
                continue

    @classmethod
    def open_for_check(cls, ctx: ActionContext, canary: dict[str, str]) -> set[str]:
        inbox = cls.of(ctx).open()
        inbox.find(inbox.messages)
        has_mail = inbox.loc(inbox.rows).count() > 1  # the header row is always there
        return {"always", "mail"} if has_mail else {"always"}


class MessagePage(PageObject):
    """One mail: the subject as its heading, the body, the portal link at the bottom."""

    CONSOLE = "mail"
    PATH = "/{mail_id}"
    SNAPSHOT = True
    UNREACHABLE = ("needs an access email, which only a request made past the GeoTrust image "
                   "number sends")
    heading = role("heading", level=1)
    portal_link = role("link", "Open your user portal")


@action("mail.access_link", returns=AccessLink, actor=Actor.CUSTOMER,
        raises=(ErrorCode.MAIL_NOT_DELIVERED,))
def access_link(ctx: ActionContext, email: str, timeout_s: float | None = None) -> AccessLink:
    """Wait for GeoTrust's access email to ``email`` and read the portal link at its bottom."""
    inbox = InboxPage.of(ctx)
    if timeout_s is None:
        timeout_s = cast(RunContext, ctx).config.browser.timeout_ms / 1000
    listed = inbox.wait_for_mail(email, timeout_s)
    href = inbox.sub(inbox.subject_link, listed.row).get_attribute("href") or ""
    message = MessagePage(inbox.page, inbox.base_url)
    message.goto(urljoin(inbox.page.url, href))
    subject = text_of(message.find(message.heading))
    portal = message.find(message.portal_link).get_attribute("href") or ""
    message.seen()
    return AccessLink(url=urljoin(message.page.url, portal), subject=subject, to=listed.to)
