"""The customer's side: the access email's link and Cancel Certificate in the user portal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pages import geotrust, mail, pm, portal
from pages.models import PortalCancellation, PortalStatus
from runner.browser.session import RunSession
from runner.errors import ConsoleError

if TYPE_CHECKING:
    from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser
DOMAIN, EMAIL = "fresh-issued.example", "admin@fresh-issued.example"


def request_access(session: RunSession, sandbox: SandboxClient) -> None:
    captcha = geotrust.read_captcha(session, DOMAIN, EMAIL)
    geotrust.request_access(session, DOMAIN, EMAIL,
                            sandbox.solve_captcha(Path(captcha.image_path)))


def test_the_access_link_is_the_portal_link_of_the_mail(session: RunSession,
                                                        sandbox: SandboxClient,
                                                        layout: str) -> None:
    request_access(session, sandbox)

    link = mail.access_link(session, EMAIL)

    assert link.to == EMAIL
    assert link.url.startswith(sandbox.url + "/portal/login/")
    assert link.subject


def test_the_access_link_waits_for_a_delayed_mail(session: RunSession,
                                                  sandbox: SandboxClient) -> None:
    sandbox.faults(mail_delay=1)
    request_access(session, sandbox)

    assert mail.access_link(session, EMAIL, timeout_s=5).to == EMAIL


def test_a_mail_not_delivered_in_time_is_a_console_error(session: RunSession,
                                                         sandbox: SandboxClient) -> None:
    sandbox.faults(mail_delay=3600)
    request_access(session, sandbox)
    with pytest.raises(ConsoleError, match=f"no mail to {EMAIL} arrived within 0.6 s") as caught:
        mail.access_link(session, EMAIL, timeout_s=0.6)
    assert caught.value.code == "mail_not_delivered"

    sandbox.advance(timedelta(hours=1))
    assert mail.access_link(session, EMAIL, timeout_s=1).to == EMAIL


def test_cancel_certificate_in_the_portal(session: RunSession, sandbox: SandboxClient,
                                          layout: str) -> None:
    request_access(session, sandbox)
    link = mail.access_link(session, EMAIL).url
    assert portal.certificate_status(session, link) == PortalStatus(DOMAIN, "Active")

    cancelled = portal.cancel_certificate(session, link)
    again = portal.cancel_certificate(session, link)  # already cancelled: nothing clicked

    assert cancelled == again == PortalCancellation(DOMAIN, "Cancelled")
    order = sandbox.order(DOMAIN)
    assert pm.order_state(session, order["customer_id"], order["order_id"]).state == "cancelled"
