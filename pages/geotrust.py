"""GeoTrust end-user home: domain, email and the image number (a captcha), then Request Access.

The image number is read by a person: ``read_captcha`` saves the exact image for them, the run
pauses, and ``request_access`` continues with their answer. The challenge is tied to the
browser's GeoTrust cookie, so reopening the home page in the same (or a restored) context shows
the same image.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast
from urllib.parse import urljoin

from pages.arrival import first_visible
from pages.base import (
    PageObject,
    alt,
    label,
    role,
    text_of,
)
from pages.models import AccessRequest, AccessStatus, Captcha
from runner.actions import NOT_CLICKED, ActionContext, Effect, RunContext, action
from runner.errors import ConsoleError, DriftError, ErrorCode, InputError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What the home page's alert says -> the error code a caller can act on.
REFUSALS = (
    ("image number is incorrect", ErrorCode.CAPTCHA_INCORRECT),
    ("image number has expired", ErrorCode.CAPTCHA_EXPIRED),
    ("could not find a certificate", ErrorCode.GEOTRUST_NO_MATCH),
)
BEHIND_CAPTCHA = "only reached by passing the image number, which takes a person"


class HomePage(PageObject):
    """GeoTrust End User Home: the form with the image number."""

    CONSOLE = "geotrust"
    PATH = "/"
    CHECK_BY_URL = True
    heading = role("heading", "GeoTrust End User Home", level=1)
    domain = label("Domain")
    email = label("Email address")
    captcha = alt("Image number")
    image_number = label("Image number")
    continue_button = role("button", "Continue")
    error = role("alert", state="error")

    def open(self) -> HomePage:
        self.goto()
        return self

    def save_captcha(self, ctx: RunContext) -> str:
        """Save the image exactly as served (same cookies, so the same challenge)."""
        src = self.find(self.captcha).get_attribute("src")
        if not src:
            raise self.drift(self.captcha, "has no src")
        url = urljoin(self.page.url, src)
        response = self.page.context.request.get(url)
        if response.status >= 500:
            raise ConsoleError(f"geotrust answered HTTP {response.status} for the image",
                               code=ErrorCode.CONSOLE_SERVER_ERROR, page=self.name, url=url)
        body = response.body()
        if not response.ok or not body.startswith(PNG_SIGNATURE):
            raise ConsoleError(f"geotrust served no PNG image (HTTP {response.status})",
                               code=ErrorCode.CAPTCHA_UNREADABLE, page=self.name, url=url)
        ctx.run_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = ctx.run_dir / f"captcha-{stamp}.png"
        path.write_bytes(body)
        return str(path)

    def fill_and_continue(self, domain: str, email: str, image_number: str) -> None:
        self.fill(self.domain, domain)
        self.fill(self.email, email)
        self.fill(self.image_number, image_number)
        self.submit(self.continue_button)

    def refusal(self) -> InputError | ConsoleError:
        """The error the home page's alert stands for."""
        message = text_of(self.loc(self.error))
        for words, code in REFUSALS:
            if words in message.lower():
                return InputError(f"GeoTrust: {message}", code=code, page=self.name,
                                  url=self.page.url)
        return ConsoleError(f"GeoTrust refused the request: {message}",
                            code=ErrorCode.GEOTRUST_REFUSED,
                            page=self.name, url=self.page.url)


class RequestAccessPage(PageObject):
    """Shown once domain, email and image number match: the Request Access button."""

    CONSOLE = "geotrust"
    PATH = "/"
    UNREACHABLE = f"is {BEHIND_CAPTCHA}"
    SNAPSHOT = True
    heading = role("heading", "Request Access", level=1)
    request_button = role("button", "Request Access", money=True)  # mails the customer


class AccessRequestedPage(PageObject):
    """GeoTrust confirms that the customer gets an email with a link to their portal."""

    CONSOLE = "geotrust"
    PATH = "/request-access"
    UNREACHABLE = f"is {BEHIND_CAPTCHA} (and sends a mail)"
    SNAPSHOT = True
    heading = role("heading", "Access Requested", level=1)
    confirmation = role("status")


@action("geotrust.read_captcha", returns=Captcha, raises=(ErrorCode.CAPTCHA_UNREADABLE,))
def read_captcha(ctx: ActionContext, domain: str, email: str) -> Captcha:
    """Open the GeoTrust home page and save its image number picture for a person to read."""
    home = HomePage.of(ctx).open()
    return Captcha(image_path=home.save_captcha(cast(RunContext, ctx)), domain=domain,
                   email=email)


@action("geotrust.access_status", returns=AccessStatus)
def access_status(ctx: ActionContext, domain: str, email: str) -> AccessStatus:
    """GeoTrust shows no trace of an access request: always unknown (the ledger decides)."""
    return AccessStatus(known=False, requested=False)


@action("geotrust.request_access", Effect.SIDE_EFFECT, returns=AccessRequest,
        probe="geotrust.access_status",
        raises=(ErrorCode.CAPTCHA_INCORRECT, ErrorCode.CAPTCHA_EXPIRED,
                ErrorCode.GEOTRUST_NO_MATCH, ErrorCode.GEOTRUST_REFUSED))
def request_access(ctx: ActionContext, domain: str, email: str, image_number: str) -> AccessRequest:
    """Fill domain, email and image number, Continue, then Request Access (mails the customer).

    Only the Request Access click sends mail: a console failure before it is marked
    ``not_clicked``, so the ledger knows nothing was sent and the run may ask afresh.
    """
    try:
        home = HomePage.of(ctx).open()
        home.fill_and_continue(domain.strip(), email.strip(), str(image_number).strip())
        request = RequestAccessPage(home.page, home.base_url)
        arrived, _ = first_visible((request, request.request_button), (home, home.error))
        if arrived is home:
            raise home.refusal()
        request.seen()
    except (ConsoleError, DriftError) as exc:
        raise exc.with_context(**{NOT_CLICKED: True}) from None
    request.submit(request.request_button)
    done = AccessRequestedPage(home.page, home.base_url)
    arrived, _ = first_visible((done, done.confirmation), (home, home.error))
    if arrived is home:  # GeoTrust said no (its alert): no mail went out
        raise home.refusal().with_context(**{NOT_CLICKED: True})
    done.seen()
    return AccessRequest(domain=domain, email=email,
                         confirmation=text_of(done.loc(done.confirmation)))
