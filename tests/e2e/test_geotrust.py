"""GeoTrust page objects: the captcha image saved byte for byte, Request Access and its errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pages import geotrust
from pages.models import AccessRequest, AccessStatus
from runner.browser.session import RunSession
from runner.errors import InputError

if TYPE_CHECKING:
    from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser
DOMAIN, EMAIL = "fresh-issued.example", "admin@fresh-issued.example"


def wrong(answer: str) -> str:
    return f"{(int(answer) + 1) % 100_000:05d}"


def test_read_captcha_saves_the_exact_image_in_the_run_dir(session: RunSession,
                                                           sandbox: SandboxClient,
                                                           layout: str) -> None:
    first = geotrust.read_captcha(session, DOMAIN, EMAIL)
    again = geotrust.read_captcha(session, DOMAIN, EMAIL)

    image = Path(first.image_path)
    assert (first.domain, first.email) == (DOMAIN, EMAIL)
    assert image.parent == session.run_dir and image.name.startswith("captcha-")
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert sandbox.solve_captcha(image).isdigit()  # the sandbox drew exactly these bytes
    assert Path(again.image_path).read_bytes() == image.read_bytes()  # same session: same image


def test_request_access_with_the_right_image_number(session: RunSession, sandbox: SandboxClient,
                                                    layout: str) -> None:
    captcha = geotrust.read_captcha(session, DOMAIN, EMAIL)
    answer = sandbox.solve_captcha(Path(captcha.image_path))

    request = geotrust.request_access(session, DOMAIN, EMAIL, answer)

    assert request == AccessRequest(
        domain=DOMAIN, email=EMAIL,
        confirmation=f"An email with a link to your user portal has been sent to {EMAIL}")


def test_a_wrong_image_number_is_captcha_incorrect(session: RunSession, sandbox: SandboxClient,
                                                   layout: str) -> None:
    captcha = geotrust.read_captcha(session, DOMAIN, EMAIL)
    answer = sandbox.solve_captcha(Path(captcha.image_path))
    with pytest.raises(InputError, match="The image number is incorrect") as caught:
        geotrust.request_access(session, DOMAIN, EMAIL, wrong(answer))
    assert caught.value.code == "captcha_incorrect"


def test_an_unknown_domain_and_email_is_no_match(session: RunSession, sandbox: SandboxClient,
                                                 layout: str) -> None:
    captcha = geotrust.read_captcha(session, DOMAIN, EMAIL)
    answer = sandbox.solve_captcha(Path(captcha.image_path))
    with pytest.raises(InputError, match="could not find a certificate") as caught:
        geotrust.request_access(session, DOMAIN, "someone@else.example", answer)
    assert caught.value.code == "geotrust_no_match"


def test_an_image_number_read_too_long_ago_is_captcha_expired(session: RunSession,
                                                              sandbox: SandboxClient) -> None:
    captcha = geotrust.read_captcha(session, DOMAIN, EMAIL)
    answer = sandbox.solve_captcha(Path(captcha.image_path))
    home = geotrust.HomePage.of(session).open()
    sandbox.advance(timedelta(minutes=6))  # the form on screen shows a challenge now expired

    home.fill_and_continue(DOMAIN, EMAIL, answer)

    error = home.refusal()
    assert isinstance(error, InputError)
    assert (error.code, error.message) == ("captcha_expired",
                                           "GeoTrust: The image number has expired")


def test_access_status_is_unknown(session: RunSession) -> None:
    assert geotrust.access_status(session, DOMAIN, EMAIL) == AccessStatus(known=False,
                                                                           requested=False)
