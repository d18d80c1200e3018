"""Failures a caller must tell apart: drift (breaking layout) versus a console that is unwell."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pages import geotrust, pm, symantec
from runner.browser.session import RunSession
from runner.config import Config
from runner.errors import ConsoleError, DriftError
from tests.e2e.once import untouched

if TYPE_CHECKING:
    from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser


@pytest.fixture
def drift_session(make_session: Callable[[Config], RunSession], drift_config: Config,
                  sandbox: SandboxClient) -> RunSession:
    sandbox.faults(layout="breaking")
    return make_session(drift_config)


def test_renamed_quick_search_is_drift_naming_page_and_locator(drift_session: RunSession,
                                                               sandbox: SandboxClient) -> None:
    with pytest.raises(DriftError, match=r"page symantec\.DashboardPage: locator "
                                         r"quick_search_link = menu >> get_by_role\('link', "
                                         r"name='Quick Search'") as caught:
        symantec.order_info(drift_session, sandbox.order("shop.example")["partner_order_id"])
    assert caught.value.kind == "drift"
    assert caught.value.context["page"] == "symantec.DashboardPage"
    assert caught.value.context["locator"] == "quick_search_link"


def test_unlabelled_image_number_is_drift_naming_page_and_locator(drift_session: RunSession,
                                                                  sandbox: SandboxClient) -> None:
    captcha = geotrust.read_captcha(drift_session, "shop.example", "admin@shop.example")
    answer = sandbox.solve_captcha(Path(captcha.image_path))
    with pytest.raises(DriftError, match=r"page geotrust\.HomePage: locator image_number = "
                                         r"get_by_label\('Image number'") as caught:
        geotrust.request_access(drift_session, "shop.example", "admin@shop.example", answer)
    assert (caught.value.context["page"], caught.value.context["locator"]) == (
        "geotrust.HomePage", "image_number")


@pytest.mark.parametrize("act", [pm.read_transaction, pm.refund])
def test_renamed_refund_button_is_drift_not_refund_not_allowed(
        drift_session: RunSession, sandbox: SandboxClient, act: Callable[..., object]) -> None:
    order = sandbox.order("pending.example")
    with pytest.raises(DriftError, match=r"page pm\.TransactionPage: locator refund_button = "
                                         r"get_by_role\('button', name='Refund'") as caught:
        act(drift_session, order["order_id"])
    assert (caught.value.context["page"], caught.value.context["locator"]) == (
        "pm.TransactionPage", "refund_button")
    untouched(sandbox, order["order_id"])


def test_breaking_changes_leave_the_rest_working(drift_session: RunSession) -> None:
    assert pm.find_order(drift_session, "shop.example").domain == "shop.example"


@pytest.mark.parametrize("act", [
    lambda s: pm.find_order(s, "shop.example"),
    lambda s: symantec.order_info(s, "PO-7700001"),
    lambda s: geotrust.read_captcha(s, "shop.example", "admin@shop.example"),
], ids=["pm", "symantec", "geotrust"])
def test_server_errors_are_console_errors(session: RunSession, sandbox: SandboxClient,
                                          act: Callable[[RunSession], object]) -> None:
    sandbox.faults(error_rate=1.0)
    with pytest.raises(ConsoleError, match="answered HTTP 500") as caught:
        act(session)
    assert (caught.value.code, caught.value.kind) == ("console_server_error", "console")


def test_a_server_error_midway_is_a_console_error(session: RunSession,
                                                  sandbox: SandboxClient) -> None:
    sandbox.faults(error_rate=0.5)  # every second request: the search page loads, results fail
    with pytest.raises(ConsoleError, match="pm answered HTTP 500"):
        pm.find_order(session, "shop.example")


@pytest.mark.parametrize(("console", "act"), [
    ("pm", lambda s: pm.find_order(s, "shop.example")),
    ("symantec", lambda s: symantec.order_info(s, "PO-7700001")),
    ("geotrust", lambda s: geotrust.read_captcha(s, "shop.example", "admin@shop.example")),
], ids=["pm", "symantec", "geotrust"])
def test_a_console_that_is_down_is_a_console_error(session: RunSession, sandbox: SandboxClient,
                                                   console: str,
                                                   act: Callable[[RunSession], object]) -> None:
    sandbox.faults(down=console)
    with pytest.raises(ConsoleError, match=f"{console} answered HTTP 503") as caught:
        act(session)
    assert caught.value.kind == "console"


def test_a_console_nobody_answers_on_is_a_console_error(
        make_session: Callable[[Config], RunSession], config: Config) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = make_session(config.with_console_url("pm", f"http://127.0.0.1:{port}/pm"))
    with pytest.raises(ConsoleError, match="pm cannot be reached") as caught:
        pm.find_order(session, "shop.example")
    assert caught.value.code == "console_unreachable"
