"""`verify-selectors` end to end: the exit codes through the CLI, the reports, the edge cases.

Exit codes and the exact set of broken locators go through `run.py` as a separate process, the
way the nightly job calls it. The reports and the odd cases (a console on a closed port, drift
while opening a page) run the check in-process on a few pages, which is quicker and lets a test
bend a page object with monkeypatch.
"""

from __future__ import annotations

import re
import socket
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from pages import geotrust, pm, symantec
from pages.base import role
from runner.browser.session import RunSession
from runner.config import DEFAULT_CONFIG, Config
from runner.selectors.check import check_pages
from runner.selectors.html import write_html
from runner.selectors.junit import write_junit
from runner.selectors.patch import PROJECT_ROOT
from sandbox.layouts import BREAKING_CHANGES
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.receiver import Receiver

pytestmark = pytest.mark.browser

# The three BREAKING_CHANGES, as the page objects declare them. The Symantec menu is one
# declaration (MainMenu) shown on three pages, so it breaks on each of them.
BROKEN_DECLARATIONS = {"symantec.MainMenu.quick_search_link", "geotrust.HomePage.image_number",
                       "pm.TransactionPage.refund_button"}
BROKEN_PAIRS = {("symantec.DashboardPage", "quick_search_link"),
                ("symantec.QuickSearchPage", "quick_search_link"),
                ("symantec.OrderInformationPage", "quick_search_link"),
                ("geotrust.HomePage", "image_number"),
                ("pm.TransactionPage", "refund_button")}
# The best proposal for each breaking change, as the declaring line would read after the fix.
EXPECTED_FIXES = {
    "symantec.MainMenu.quick_search_link": (
        "pages/symantec.py", 'quick_search_link = role("link", "Order Lookup", within="menu")'),
    "geotrust.HomePage.image_number": (
        "pages/geotrust.py", 'image_number = form_field("image_number")'),
    "pm.TransactionPage.refund_button": (
        "pages/pm.py",
        'refund_button = role("button", "Issue credit", state="refundable", money=True)'),
}
NOT_REACHABLE = {"geotrust.RequestAccessPage", "geotrust.AccessRequestedPage", "mail.MessagePage",
                 "portal.CertificatePage", "portal.ConfirmCancelPage"}
SYMANTEC_PAGES = ["symantec.LoginPage", "symantec.DashboardPage", "symantec.QuickSearchPage",
                  "symantec.OrderInformationPage"]
CANARIES = ("canary.example", "canary-pending.example")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def snapshot(sandbox: SandboxClient) -> list[object]:
    """The canary orders and their refunds: what a side effect would change."""
    return [(sandbox.order(d), sandbox.refunds(sandbox.order(d)["order_id"])) for d in CANARIES]


def test_layouts_that_keep_roles_and_labels_pass(cli: Cli, sandbox: SandboxClient,
                                                 layout: str) -> None:
    before = snapshot(sandbox)

    answer = cli("verify-selectors", "--json")

    assert answer.code == 0, answer.stdout + answer.stderr
    data = answer.data
    assert data["ok"] is True and data["exit_code"] == 0
    assert data["drift"] == [] and data["unreachable"] == {} and data["not_checked"] == []
    statuses = {p["page"]: p["status"] for p in data["pages"]}
    assert {name for name, status in statuses.items() if status == "skipped"} == NOT_REACHABLE
    assert set(statuses.values()) == {"ok", "skipped"}
    assert data["totals"]["ok"] > 60 and data["totals"]["missing"] == 0
    assert set(data["skipped"]) == NOT_REACHABLE  # named, with why, in the headline too
    assert data["headline"].startswith("10 of 15 pages checked (0 with drift): 10 of 10 live, "
                                       "0 of 5 from run snapshots; ")
    assert all(f"{name} (skipped: " in data["headline"] for name in NOT_REACHABLE)
    assert all(r["where"].startswith("pages/") for p in data["pages"] for r in p["locators"])
    assert re.search(r"^\[\d+/15\] pm\.TransactionPage  ok  \d+ locators  \d+ ms$",
                     answer.stderr, re.MULTILINE), answer.stderr  # progress on stderr
    assert snapshot(sandbox) == before  # read-only: nothing changed on any console


def test_breaking_layout_fails_naming_exactly_the_broken_locators(
        cli: Cli, sandbox: SandboxClient, tmp_path: Path, receiver: Receiver) -> None:
    assert len(BREAKING_CHANGES) == 3  # the expectation below spells out each of them
    sandbox.faults(layout="breaking")
    junit = tmp_path / "reports" / "selectors.xml"
    patch = tmp_path / "reports" / "proposals.patch"

    answer = cli("verify-selectors", "--json", "--junit", str(junit), "--write-proposals",
                 str(patch), "--notify-url", receiver.url)

    assert answer.code == 1, answer.stdout + answer.stderr
    data = answer.data
    assert {(d["page"], d["locator"]) for d in data["drift"]} == BROKEN_PAIRS
    assert {d["status"] for d in data["drift"]} == {"missing"}
    assert set(data["broken_declarations"]) == BROKEN_DECLARATIONS
    assert data["unreachable"] == {}
    best = {d["declared_in"]: (d["where"], d["proposals"][0]) for d in data["drift"]}
    assert {decl: (where.split(":")[0], first["new"]) for decl, (where, first) in best.items()
            } == EXPECTED_FIXES
    assert all(d["proposals"][0]["old"] and d["proposals"][0]["matched"] == 1
               for d in data["drift"])
    # The Refund rename is a money control: flagged in every report, never a quiet heal.
    assert [(r["declared_in"], r["review"]) for r in data["needs_review"]] == [
        ("pm.TransactionPage.refund_button", "money control: needs review")]
    assert {d["locator"]: d["review"] for d in data["drift"]} == {
        "quick_search_link": "", "image_number": "",
        "refund_button": "money control: needs review"}
    assert "1 money control: needs review" in data["headline"]
    assert patch.read_text().startswith("# money control: needs review: pages/pm.py:")
    subprocess.run(["git", "-C", str(PROJECT_ROOT), "apply", "--check", str(patch)],
                   check=True)
    assert {line for line in patch.read_text().splitlines() if line.startswith("+ ")} >= {
        f"+    {new}" for _, new in EXPECTED_FIXES.values()}
    shots = {p["page"]: p["screenshot"] for p in data["pages"] if p["status"] == "drift"}
    assert set(shots) == {page for page, _ in BROKEN_PAIRS}
    assert all(Path(shot).is_file() and Path(shot).is_absolute() for shot in shots.values())
    suites = ET.parse(junit).getroot()
    assert suites.get("failures") == "5" and suites.get("errors") == "0"
    failed = {(case.get("classname"), case.get("name")) for case in suites.iter("testcase")
              if case.find("failure") is not None}
    assert failed == BROKEN_PAIRS
    money = [case.find("failure") for case in suites.iter("testcase")
             if case.get("name") == "refund_button"]
    assert money[0] is not None and money[0].get("message", "").startswith(
        "money control: needs review: missing: ")
    assert sum(int(s.get("failures", "-1")) for s in suites.iter("testsuite")) == 5
    attached = {case.findtext("system-out") for case in suites.iter("testcase")
                if case.find("failure") is not None}
    assert attached == {f"[[ATTACHMENT|{shot}]]" for shot in shots.values()}
    (alert,) = receiver.posted
    assert alert["exit_code"] == 1 and len(alert["broken"]) == 3
    assert alert["needs_review"] == 1 and {b["locator"]: b["review"] for b in alert["broken"]}[
        "get_by_role('button', name='Refund', exact=True)"] == "money control: needs review"
    assert data["notify"]["sent"] is True


def test_a_console_that_is_down_exits_2_and_the_others_are_still_checked(
        cli_process: Cli, sandbox: SandboxClient) -> None:
    """As a process of its own (the command's process smoke): its exit code and its text."""
    cli = cli_process
    sandbox.faults(down="symantec")

    answer = cli("verify-selectors")

    assert answer.code == 2, answer.stdout + answer.stderr
    assert "console symantec unreachable: symantec answered HTTP 503" in answer.stdout
    assert f"not checked: {', '.join(SYMANTEC_PAGES)}" in answer.stdout
    assert re.search(r"^\[\d+/15\] pm\.TransactionPage  ok ", answer.stdout, re.MULTILINE)
    assert re.search(r"^\[\d+/15\] geotrust\.HomePage  ok ", answer.stdout, re.MULTILINE)
    assert "DRIFT" not in answer.stdout  # an outage is not drift


def test_a_console_on_a_closed_port_exits_2(cli: Cli, sandbox: SandboxClient,
                                            tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["consoles"]["symantec"]["base_url"] = f"http://127.0.0.1:{closed_port()}/symantec"
    config_file = tmp_path / "closed.yaml"
    config_file.write_text(yaml.safe_dump(raw))

    answer = cli("verify-selectors", "--json", "--config", str(config_file))

    assert answer.code == 2, answer.stdout + answer.stderr
    data = answer.data
    assert list(data["unreachable"]) == ["symantec"]
    assert "ERR_CONNECTION_REFUSED" in data["unreachable"]["symantec"]
    assert data["message"].startswith("console symantec unreachable: ")
    assert data["not_checked"] == SYMANTEC_PAGES
    assert data["drift"] == []
    assert {p["page"] for p in data["pages"] if p["status"] == "ok"} >= {
        "pm.TransactionPage", "geotrust.HomePage", "mail.InboxPage"}


def test_unreachable_takes_precedence_over_drift_which_is_still_reported(
        make_session: Callable[[Config], RunSession], config: Config,
        sandbox: SandboxClient) -> None:
    sandbox.faults(layout="breaking")
    closed = config.with_console_url("symantec", f"http://127.0.0.1:{closed_port()}/symantec")

    report = check_pages(make_session(closed), closed,
                         pages=[symantec.LoginPage, symantec.DashboardPage, pm.TransactionPage])

    assert report.exit_code == 2
    assert [p.status for p in report.pages] == ["unreachable", "unreachable", "drift"]
    known_down = report.pages[1]  # a console known down is not visited again: no look at it
    assert known_down.screenshot is None and known_down.aria == ""
    assert known_down.reason == report.pages[0].reason
    assert [(p.page, r.name) for p, r in report.drift] == [("pm.TransactionPage",
                                                            "refund_button")]


def test_html_report_shows_the_broken_page_beside_its_missing_locators(
        make_session: Callable[[Config], RunSession], config: Config, sandbox: SandboxClient,
        tmp_path: Path, page: Page) -> None:
    sandbox.faults(layout="breaking")
    report = check_pages(make_session(config), config,
                         pages=[pm.SearchPage, pm.TransactionPage, geotrust.HomePage])
    html = tmp_path / "report.html"
    write_html(report, html)

    page.goto(html.as_uri())

    expect(page.locator("#verdict")).to_contain_text("drift")
    problem = page.get_by_role("region", name="pm.TransactionPage")
    screenshot = problem.get_by_role("img", name="Screenshot of pm.TransactionPage")
    expect(screenshot).to_be_visible()
    assert screenshot.evaluate("img => img.complete && img.naturalWidth") > 0
    expect(problem.get_by_text("refund_button", exact=True)).to_be_visible()
    expect(problem).to_contain_text("get_by_role('button', name='Refund', exact=True)")
    fixes = problem.get_by_role("list", name="Proposals for refund_button")
    expect(fixes.get_by_role("listitem").first).to_contain_text(
        '+ refund_button = role("button", "Issue credit", state="refundable", money=True)')
    expect(fixes.get_by_role("listitem").first).to_contain_text("money control: needs review")
    expect(page.locator("#needs-review")).to_contain_text("pm.TransactionPage.refund_button")
    expect(fixes.get_by_role("listitem").first).to_contain_text("pages/pm.py:")
    expect(page.locator("#headline")).to_contain_text("3 of 3 pages checked (2 with drift)")
    home = page.get_by_role("region", name="geotrust.HomePage")
    expect(home.get_by_text("image_number", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="pm.SearchPage")).to_have_count(0)  # no problem


def test_drift_while_opening_is_reported_on_its_locator_and_the_rest_is_checked(
        make_session: Callable[[Config], RunSession], drift_config: Config,
        sandbox: SandboxClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # QuickSearchPage waits for its heading on the way in; pretend the vendor renamed it.
    monkeypatch.setattr(symantec.QuickSearchPage, "heading",
                        role("heading", "Order Lookup", level=1))

    report = check_pages(make_session(drift_config), drift_config,
                         pages=[symantec.QuickSearchPage])

    (page,) = report.pages
    assert page.status == "drift" and report.exit_code == 1, page.reason
    assert page.reason.startswith("opening the page failed: page symantec.QuickSearchPage")
    statuses = {r.name: r.status for r in page.locators}
    assert statuses.pop("heading") == "missing"
    assert statuses.pop("not_found") == "not_applicable"
    assert set(statuses.values()) == {"ok"}  # the page was there: its other locators resolve
    assert page.screenshot


def test_a_console_slower_than_the_element_timeout_is_drift_not_unreachable(
        make_session: Callable[[Config], RunSession], drift_config: Config,
        sandbox: SandboxClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every answer takes longer than the 1 s element timeout: the console answers, slowly.
    sandbox.faults(latency_ms=1_500)
    monkeypatch.setattr(symantec.QuickSearchPage, "heading",
                        role("heading", "Order Lookup", level=1))

    report = check_pages(make_session(drift_config), drift_config,
                         pages=[pm.SearchPage, symantec.QuickSearchPage])

    assert [p.status for p in report.pages] == ["ok", "drift"], report.message()
    assert report.unreachable == {} and report.exit_code == 1
    assert [(r.name, r.status) for _, r in report.drift] == [("heading", "missing")]


def test_drift_on_the_way_to_a_page_names_the_page_it_belongs_to(
        make_session: Callable[[Config], RunSession], drift_config: Config,
        sandbox: SandboxClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # The Transaction page is found through the PM search; break the results table.
    monkeypatch.setattr(pm.ResultsPage, "table", role("table", "Order list", state="matches"))
    quick = replace(drift_config, browser=replace(drift_config.browser,
                                                  timeout=timedelta(milliseconds=500)))

    report = check_pages(make_session(quick), quick, pages=[pm.TransactionPage])

    (page,) = report.pages
    assert page.status == "drift", page.reason
    assert [(r.name, r.status) for r in page.drift] == [("pm.ResultsPage.table", "missing")]
    assert {r.status for r in page.locators if not r.is_drift} == {"unchecked"}


def test_a_browser_error_on_one_page_leaves_it_unchecked_and_the_next_page_is_checked(
        make_session: Callable[[Config], RunSession], config: Config, sandbox: SandboxClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(cls: type[pm.SearchPage], ctx: object, canary: dict[str, str]) -> set[str]:
        raise PlaywrightError("Target page, context or browser has been closed")

    monkeypatch.setattr(pm.SearchPage, "open_for_check", classmethod(crash))

    report = check_pages(make_session(config), config, pages=[pm.SearchPage, geotrust.HomePage])

    assert [p.status for p in report.pages] == ["error", "ok"]
    assert report.exit_code == 2  # not 1: nobody should chase drift that was never seen
    assert "page pm.SearchPage not checked: browser error: Target page" in report.message()


def test_a_locator_matching_several_visible_elements_is_ambiguous(
        make_session: Callable[[Config], RunSession], config: Config, sandbox: SandboxClient,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Unnamed, the menu's link matches all four entries of the Symantec menu.
    monkeypatch.setattr(symantec.MainMenu, "dashboard_link", role("link", within="menu"))

    report = check_pages(make_session(config), config, pages=[symantec.DashboardPage])

    assert [(r.name, r.status, r.visible) for _, r in report.drift] == [
        ("dashboard_link", "ambiguous", 4)]
    assert report.exit_code == 1
    write_junit(report, tmp_path / "junit.xml")
    (failure,) = ET.parse(tmp_path / "junit.xml").getroot().iter("failure")
    assert failure.get("type") == "ambiguous"
