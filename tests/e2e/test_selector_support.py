"""What the nightly selector check relies on: open_for_check, Loc states and NotReachable.

A miniature of the check runs here: every page reached read-only through the canary orders,
every locator its states demand counted (exactly one visible, or at least one for a family).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pages.base import NotReachable, all_pages
from runner.browser.session import RunSession
from runner.config import Config

if TYPE_CHECKING:
    from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser
UNREACHABLE = {"geotrust.RequestAccessPage", "geotrust.AccessRequestedPage", "mail.MessagePage",
               "portal.CertificatePage", "portal.ConfirmCancelPage"}
CANARIES = ("canary.example", "canary-pending.example")


def check_all(session: RunSession, canary: dict[str, str], checked: set[tuple[str, str]]
              ) -> tuple[set[str], dict[str, set[str]], set[tuple[str, str]]]:
    """Pages not reachable, states per reached page, and (page, locator) pairs that failed."""
    unreachable: set[str] = set()
    states: dict[str, set[str]] = {}
    failed: set[tuple[str, str]] = set()
    for cls in all_pages():
        name = f"{cls.CONSOLE}.{cls.__name__}"
        try:
            present = cls.open_for_check(session, canary)
        except NotReachable:
            unreachable.add(name)
            continue
        states[name] = present
        page = cls.of(session)
        for loc_name, spec in cls.locators().items():
            if cls.checks_state(loc_name, present):
                checked.add((name, loc_name))
                count = page.loc(loc_name).filter(visible=True).count()
                if not (count >= 1 if spec.many else count == 1):
                    failed.add((name, loc_name))
    return unreachable, states, failed


def snapshot(sandbox: SandboxClient) -> list[object]:
    return [(sandbox.order(d), sandbox.refunds(sandbox.order(d)["order_id"])) for d in CANARIES]


def test_every_page_opens_read_only_and_every_locator_resolves(
        session: RunSession, config: Config, sandbox: SandboxClient, layout: str) -> None:
    before = snapshot(sandbox)
    checked: set[tuple[str, str]] = set()

    unreachable, states, failed = check_all(session, config.canary, checked)

    assert failed == set()
    assert len(checked) > 60
    assert {("pm.TransactionPage", "refund_button"), ("pm.ResultsPage", "setup_button"),
            ("geotrust.HomePage", "image_number")} <= checked
    assert unreachable == UNREACHABLE
    assert states["pm.TransactionPage"] == {"always", "refundable"}
    assert states["pm.ResultsPage"] == {"always", "matches", "pending"}
    assert all("always" in s for s in states.values())
    assert snapshot(sandbox) == before  # nothing changed on any console


def test_the_check_reports_exactly_the_breaking_changes(session: RunSession, config: Config,
                                                        sandbox: SandboxClient) -> None:
    sandbox.faults(layout="breaking")

    _, _, failed = check_all(session, config.canary, set())

    assert failed == {
        ("symantec.DashboardPage", "quick_search_link"),
        ("symantec.QuickSearchPage", "quick_search_link"),
        ("symantec.OrderInformationPage", "quick_search_link"),
        ("geotrust.HomePage", "image_number"),
        ("pm.TransactionPage", "refund_button"),
    }


def test_checks_state_follows_the_scope() -> None:
    from pages.pm import ResultsPage, TransactionPage

    assert TransactionPage.checks_state("refund_button", {"always", "refundable"})
    assert not TransactionPage.checks_state("refund_button", {"always"})
    assert not ResultsPage.checks_state("transaction_link", {"always"})  # table: "matches"
    assert ResultsPage.checks_state("cells", {"always", "matches"})
