"""Symantec page objects: Quick Search, login reuse and expiry, and the password kept secret."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Request

from pages import symantec
from pages.models import OrderInfo
from runner.browser.session import RunSession
from runner.config import Config
from runner.errors import ConfigError, InputError
from tests.leaks import Secret, scan

if TYPE_CHECKING:
    from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser


def login_requests(session: RunSession) -> list[str]:
    """URLs of the login page that the run's own context asks for, from now on."""
    seen: list[str] = []

    def note(request: Request) -> None:
        if "/symantec/login" in request.url:
            seen.append(request.url)

    session.context.on("request", note)
    return seen


def test_order_info_reads_common_name_and_admin_email(session: RunSession, sandbox: SandboxClient,
                                                      layout: str) -> None:
    order = sandbox.order("fresh-issued.example")

    info = symantec.order_info(session, order["partner_order_id"])

    assert info == OrderInfo(partner_order_id=order["partner_order_id"],
                             common_name="fresh-issued.example",
                             admin_email="admin@fresh-issued.example", status="Complete",
                             product=order["product"])


def test_order_info_of_an_unknown_partner_order(session: RunSession, layout: str) -> None:
    with pytest.raises(InputError, match="Symantec has no order PO-0000001") as caught:
        symantec.order_info(session, "PO-0000001")
    assert (caught.value.code, caught.value.kind) == ("partner_order_not_found", "input")


def test_a_saved_login_is_reused_by_the_next_run(make_session: Callable[[Config], RunSession],
                                                 config: Config, sandbox: SandboxClient) -> None:
    partner_id = sandbox.order("shop.example")["partner_order_id"]
    first = make_session(config)
    first_logins = login_requests(first)
    symantec.order_info(first, partner_id)
    assert first_logins, "the first run had to log in"

    second = make_session(config)
    second_logins = login_requests(second)
    assert symantec.order_info(second, partner_id).common_name == "shop.example"
    assert second_logins == []


def test_an_expired_session_is_logged_in_again(make_session: Callable[[Config], RunSession],
                                               config: Config, sandbox: SandboxClient) -> None:
    partner_id = sandbox.order("shop.example")["partner_order_id"]
    first = make_session(config)
    symantec.order_info(first, partner_id)
    saved = first.login_state_file("symantec").read_text()

    sandbox.faults(session_ttl=600)
    sandbox.advance(timedelta(minutes=11))  # the saved session is now past its lifetime
    second = make_session(config)
    logins = login_requests(second)

    assert symantec.order_info(second, partner_id).common_name == "shop.example"
    assert any("expired=1" in url for url in logins)
    assert second.login_state_file("symantec").read_text() != saved


def test_wrong_password_is_a_configuration_error(session: RunSession,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMANTEC_PASSWORD", "not-the-password")
    with pytest.raises(ConfigError, match="Symantec refused the login for partner: Invalid "
                                          "username or password; set the right credentials "
                                          r"in the runner's environment \(SYMANTEC_USERNAME "
                                          r"and SYMANTEC_PASSWORD\)") as caught:
        symantec.order_info(session, "PO-7700001")
    assert caught.value.code == "credentials_rejected"
    assert "not-the-password" not in str(caught.value)
    assert not session.login_state_file("symantec").exists()


def password(config: Config) -> str:
    """The sandbox password, from the config (never a literal here: the trace's sources
    include this very file)."""
    return config.console("symantec").credentials()[1]


def test_the_scan_finds_a_password_typed_in_a_traced_context(browser: Browser, tmp_path: Path,
                                                             sandbox: SandboxClient,
                                                             config: Config) -> None:
    """Control for the test below: a plain fill() does land in the trace, and the one secret
    scanner (tests/leaks.py) sees it."""
    context = browser.new_context()
    try:
        context.tracing.start(screenshots=True, snapshots=True)
        page = context.new_page()
        page.goto(sandbox.url + "/symantec/login")
        page.get_by_label("Password").fill(password(config))
        page.get_by_role("button", name="Log in").click()
        context.tracing.stop(path=tmp_path / "leaky.zip")
    finally:
        context.close()
    assert scan([Secret("password", password(config))], [tmp_path / "leaky.zip"])


def test_the_password_lands_in_no_trace_and_no_login_state(
        make_session: Callable[..., RunSession], sandbox: SandboxClient, config: Config,
        tmp_path: Path) -> None:
    # The run's own trace (what a failed run keeps), recorded since the session opened.
    session = make_session(config, trace=True)
    symantec.order_info(session, sandbox.order("shop.example")["partner_order_id"])
    assert session.save_trace(tmp_path / "trace.zip") == tmp_path / "trace.zip"

    with zipfile.ZipFile(tmp_path / "trace.zip") as archive:
        assert any(name.endswith(".trace") for name in archive.namelist())
    state = session.login_state_file("symantec")
    assert "symantec_session" in state.read_text()
    assert scan([Secret("password", password(config))], [tmp_path / "trace.zip", state]) == []
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
