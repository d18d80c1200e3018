"""Proposals for drift nobody wrote down, and the comparison with the last passing night.

The sandbox's breaking layout has three known changes; a vendor's next deploy will not be one of
them. Here the test plays that vendor: the check's browser context rewrites the HTML a console
serves (a Playwright route on the real response), renaming controls that the sandbox never
renames, and the check must still find the new name on the live page.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Route

from pages import pm, symantec
from pages.base import role
from runner.browser.session import RunSession
from runner.config import Config
from runner.selectors.baseline import baseline_dir
from runner.selectors.check import check_pages
from runner.selectors.patch import PROJECT_ROOT
from runner.selectors.proposals_patch import write_proposals
from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser


def vendor_deploy(session: RunSession, url_glob: str, *renames: tuple[str, str]) -> None:
    """Serve pages matching ``url_glob`` with ``renames`` applied to their HTML."""

    def rewrite(route: Route) -> None:
        response = route.fetch()
        body = response.text()
        for old, new in renames:
            body = body.replace(old, new)
        route.fulfill(response=response, body=body)

    session.context.route(url_glob, rewrite)


def test_a_renamed_label_button_and_term_get_verified_proposals(
        make_session: Callable[[Config], RunSession], config: Config, sandbox: SandboxClient,
        tmp_path: Path) -> None:
    session = make_session(config)
    vendor_deploy(session, "**/symantec/quick-search",
                  (">Partner Order ID</label>", ">Partner order number</label>"),
                  (">Search</button>", ">Look up</button>"))
    vendor_deploy(session, "**/symantec/orders/*", (">Admin Email<", ">Administrator email<"))

    report = check_pages(session, config, pages=[symantec.QuickSearchPage,
                                                 symantec.OrderInformationPage])

    assert report.exit_code == 1
    best = {r.name: (r.where, r.proposals[0]) for _, r in report.drift if r.proposals}
    assert {(p.page, r.name) for p, r in report.drift} == {
        ("symantec.QuickSearchPage", "partner_order_id"),
        ("symantec.QuickSearchPage", "search_button"),
        ("symantec.OrderInformationPage", "admin_email_term")}
    assert best["partner_order_id"][1].declaration == 'label("Partner order number")'
    assert best["search_button"][1].declaration == 'role("button", "Look up")'
    assert best["admin_email_term"][1].declaration == 'text("Administrator email", exact=True)'
    for where, proposal in best.values():
        assert proposal.matched == 1 and proposal.change is not None
        assert proposal.change.where == where
    patch = tmp_path / "fix.patch"

    assert write_proposals(report, patch) == 3
    subprocess.run(["git", "-C", str(PROJECT_ROOT), "apply", "--check", str(patch)], check=True)
    assert '+    partner_order_id = label("Partner order number")\n' in patch.read_text()


def test_an_ambiguous_locator_gets_proposals_that_each_match_one_element(
        make_session: Callable[[Config], RunSession], config: Config, sandbox: SandboxClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(symantec.MainMenu, "dashboard_link", role("link", within="menu"))

    report = check_pages(make_session(config), config, pages=[symantec.DashboardPage])

    ((_, broken),) = report.drift
    assert broken.status == "ambiguous"
    assert [p.declaration for p in broken.proposals] == [
        'role("link", "Dashboard", within="menu")']  # the other links are other locators'


def test_changes_since_the_last_passing_night_are_warnings(
        make_session: Callable[[Config], RunSession], config: Config,
        sandbox: SandboxClient) -> None:
    folder = baseline_dir(config)
    first = check_pages(make_session(config), config, pages=[pm.SearchPage],
                        baseline_dir=folder)
    assert first.exit_code == 0 and first.baseline_saved == str(folder)
    assert first.pages[0].changes == []  # nothing to compare with yet
    session = make_session(config)
    vendor_deploy(session, "**/pm/", ("<h1>Product Management</h1>",
                                      "<h1>Product Management</h1><a href='/help'>Help</a>"),
                  ("</form>", "<button type='button'>Advanced search</button></form>"))

    second = check_pages(session, config, pages=[pm.SearchPage], baseline_dir=folder)

    assert second.exit_code == 0  # warnings, not failures
    assert {str(c) for c in second.pages[0].changes} == {
        'added link "Help" (no locator uses it)',
        'added button "Advanced search" (no locator uses it)'}
    assert "2 change(s) since the last passing night" in second.headline()
    assert second.to_dict()["changes"][0]["page"] == "pm.SearchPage"
