"""Session and console trouble on Symantec is never reported as a bad ticket.

An expired session logs in again and carries on; a console that lets every login lapse (latency
longer than its session lifetime) is a console failure to retry later; only a password the
console calls wrong is a configuration error, and it names the environment variables to fix.
Real Chromium against the real sandbox; the sandbox clock is moved, nothing is waited for.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Route

from pages import symantec
from runner.browser.session import RunSession
from runner.errors import ConsoleError
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser


def test_a_session_that_expires_at_the_quick_search_post_logs_in_again(
        session: RunSession, sandbox: SandboxClient) -> None:
    """The login page's "session expired" alert must not pass for Quick Search's "not found"."""
    order = sandbox.order("shop.example")
    symantec.order_info(session, order["partner_order_id"])  # logged in, the session is fresh
    logins: list[str] = []
    session.context.on("request", lambda r: logins.append(r.url)
                       if "/symantec/login" in r.url else None)
    expired: list[str] = []

    def expire_first_search(route: Route) -> None:
        if route.request.method == "POST" and not expired:
            sandbox.advance(timedelta(hours=1))  # past the 30-minute session, at this very POST
            expired.append(route.request.url)
        route.continue_()

    session.context.route("**/symantec/quick-search", expire_first_search)

    info = symantec.order_info(session, order["partner_order_id"])

    assert expired, "the Quick Search POST was never sent"
    assert (info.partner_order_id, info.common_name) == (order["partner_order_id"],
                                                         "shop.example")
    assert any("expired=1" in url for url in logins), logins


def test_logins_that_lapse_at_once_are_a_console_error(session: RunSession,
                                                       sandbox: SandboxClient) -> None:
    sandbox.faults(session_ttl=0.2, latency_ms=250)  # every request comes after the session ended
    with pytest.raises(ConsoleError, match="Symantec showed its login form again") as caught:
        symantec.order_info(session, sandbox.order("shop.example")["partner_order_id"])
    assert (caught.value.code, caught.value.kind) == ("login_failed", "console")


def test_run_with_an_expired_saved_login_and_latency_logs_in_again(
        cli: Cli, sandbox: SandboxClient) -> None:
    first = cli.run("cancel_refund", "T-900", "shop.example")
    assert (first.code, first.data["status"]) == (3, "needs_input"), first.stderr
    saved = cli.home / "login-state" / "symantec.json"
    before = saved.read_text()

    sandbox.advance(timedelta(hours=2))  # the saved session is long expired
    sandbox.faults(latency_ms=200)  # slow, but well within the session's lifetime
    second = cli.run("cancel_only", "T-901", "fresh-issued.example")

    assert (second.code, second.data["status"]) == (3, "needs_input"), second.stdout
    assert second.data["outputs"]["info"]["common_name"] == "fresh-issued.example"
    assert saved.read_text() != before, "the new login was not saved for later runs"


def test_run_whose_logins_lapse_under_latency_fails_as_console_not_input(
        cli: Cli, sandbox: SandboxClient) -> None:
    sandbox.faults(session_ttl=0.2, latency_ms=250)
    answer = cli.run("cancel_refund", "T-902", "shop.example")

    assert answer.code == 1, answer.stdout
    assert answer.data["status"] == "failed"
    assert (answer.data["error"]["kind"], answer.data["error"]["code"]) == ("console",
                                                                            "login_failed")
    assert answer.data["error"]["step"] == "info"
    assert answer.data["next_action"]["type"] == "retry_later"
    assert not any("CORRECTED" in arg for arg in answer.data["next_action"]["command"])

    sandbox.faults(session_ttl=1800, latency_ms=0)  # the console recovers: the run goes on
    resumed = cli.resume(answer.data["run_id"])
    assert (resumed.code, resumed.data["status"]) == (3, "needs_input"), resumed.stdout


def test_wrong_password_is_a_configuration_error_naming_the_variables(
        cli: Cli, sandbox: SandboxClient) -> None:
    cli.env["SYMANTEC_PASSWORD"] = "not-the-password"
    answer = cli.run("cancel_refund", "T-903", "shop.example")

    assert answer.data["status"] == "failed", answer.stdout
    assert answer.data["error"]["code"] == "credentials_rejected"
    assert "SYMANTEC_USERNAME and SYMANTEC_PASSWORD" in answer.data["error"]["message"]
    assert "not-the-password" not in answer.stdout + answer.stderr
    assert answer.data["next_action"]["type"] == "fix_configuration"
    assert not any("domain" in arg for arg in answer.data["next_action"]["command"])
