"""The customer's user portal (customer side): Cancel Certificate, mid-screen, then confirm.

Flows never use this console; the demo and the tests play the customer with it. The portal is
entered through the link in GeoTrust's access email, which sets the portal's session cookie.
"""

from __future__ import annotations

from pages.base import PageObject, role, text
from pages.details import DescriptionList
from pages.models import PortalCancellation, PortalStatus
from runner.actions import ActionContext, Actor, Effect, action

NEEDS_MAIL = "is entered only through the link in an access email, which a person's request sends"
CANCELLED = "cancelled"


class CertificatePage(DescriptionList):
    """Your certificate: domain, status and the row Renew, Reissue, Cancel Certificate, Download."""

    CONSOLE = "portal"
    PATH = "/"
    UNREACHABLE = NEEDS_MAIL
    SNAPSHOT = True
    heading = role("heading", "Your certificate", level=1)
    domain_term = text("Domain", exact=True)
    status_term = text("Status", exact=True)
    renew_button = role("button", "Renew")
    reissue_button = role("button", "Reissue")
    cancel_button = role("button", "Cancel Certificate", money=True)
    download_button = role("button", "Download")
    notice = role("status", state="notice")  # "Your certificate has been cancelled"

    def enter(self, link: str) -> CertificatePage:
        """Follow the email's link (it signs the customer in and lands here)."""
        self.goto(link)
        return self

    def read(self) -> PortalStatus:
        values = self.details(self.domain_term, self.status_term)
        self.seen()
        return PortalStatus(domain=values[self.domain_term], status=values[self.status_term])


class ConfirmCancelPage(PageObject):
    """Cancel certificate? Yes, or keep it."""

    CONSOLE = "portal"
    PATH = "/cancel"
    UNREACHABLE = f"{NEEDS_MAIL} (and is shown by a POST)"
    SNAPSHOT = True
    heading = role("heading", "Cancel certificate", level=1)
    confirm_button = role("button", "Yes, cancel certificate", money=True)
    keep_link = role("link", "Keep certificate")

    def confirm(self) -> None:
        """Yes, cancel certificate (the page kept as seen first, for the nightly check)."""
        self.find(self.confirm_button)
        self.seen()
        self.submit(self.confirm_button)


@action("portal.certificate_status", returns=PortalStatus, actor=Actor.CUSTOMER)
def certificate_status(ctx: ActionContext, link: str) -> PortalStatus:
    """The certificate's domain and status as the customer's portal shows them."""
    return CertificatePage.of(ctx).enter(link).read()


@action("portal.cancel_certificate", Effect.SIDE_EFFECT, returns=PortalCancellation,
        actor=Actor.CUSTOMER,
        probe="portal.certificate_status", done_if="probe.status == 'Cancelled'")
def cancel_certificate(ctx: ActionContext, link: str) -> PortalCancellation:
    """Cancel the certificate in the portal: Cancel Certificate, then Yes, cancel certificate."""
    home = CertificatePage.of(ctx).enter(link)
    before = home.read()
    if before.status.lower() == CANCELLED:
        return PortalCancellation(domain=before.domain, status=before.status)
    home.submit(home.cancel_button)
    ConfirmCancelPage(home.page, home.base_url).confirm()
    home.find(home.notice)
    after = home.read()
    return PortalCancellation(domain=after.domain, status=after.status)
