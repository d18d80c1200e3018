"""The selector check's parts that need no browser: ARIA parsing, the baseline diff, how a
proposal is written back as source (and as a patch git accepts), the alert's summary."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pages import base
from pages.base import all_pages, form_field, role
from pages.pm import TransactionPage
from pages.symantec import MainMenu
from runner.selectors.aria import controls, parse
from runner.selectors.baseline import diff
from runner.selectors.notify import notify
from runner.selectors.patch import PROJECT_ROOT, source_change, unified_patch, where
from runner.selectors.proposals import declaration
from runner.selectors.report import (
    MISSING,
    PAGE_DRIFT,
    PAGE_OK,
    PAGE_UNREACHABLE,
    CheckReport,
    LocatorResult,
    PageResult,
)
from tests.receiver import Receiver

SNAPSHOT = """- banner: Internal tools
- main:
  - heading "Transaction" [level=1]
  - term: Amount
  - definition: 120.00 USD
  - button "Issue credit"
  - textbox
  - navigation "Main menu":
    - link "Say \\"hi\\"":
      - /url: /x
"""


def test_an_aria_snapshot_reads_as_roles_and_names() -> None:
    nodes = parse(SNAPSHOT)

    assert [(n.role, n.name) for n in nodes if n.role in ("heading", "button", "textbox")] == [
        ("heading", "Transaction"), ("button", "Issue credit"), ("textbox", "")]
    assert ("link", 'Say "hi"') in controls(SNAPSHOT)
    assert next(n for n in nodes if n.role == "term").text == "Amount"


def test_every_declared_locator_is_written_back_as_it_was_declared() -> None:
    namespace = {name: getattr(base, name) for name in ("role", "label", "text", "alt",
                                                       "form_field")}
    checked = 0
    for cls in all_pages():
        for name, spec in cls.locators().items():
            rebuilt = eval(declaration(spec), namespace)  # our own output, read back
            assert rebuilt == spec, f"{cls.__name__}.{name}: {declaration(spec)}"
            checked += 1
    assert checked > 80
    assert declaration(form_field("image_number")) == 'form_field("image_number")'


def test_a_locator_knows_the_line_it_is_declared_on() -> None:
    line = (PROJECT_ROOT / "pages" / "pm.py").read_text().splitlines()
    file, number = where(TransactionPage.refund_button).split(":")

    assert file == "pages/pm.py"
    assert line[int(number) - 1].strip().startswith("refund_button = role(")


def test_a_proposal_is_a_patch_git_accepts(tmp_path: Path) -> None:
    changes = [source_change(TransactionPage.refund_button,
                             'role("button", "Issue credit", state="refundable", money=True)'),
               source_change(MainMenu.quick_search_link,
                             'role("link", "Order Lookup", within="menu")')]
    pm_change = changes[0]
    assert pm_change is not None and pm_change.where == where(TransactionPage.refund_button)
    assert pm_change.old.strip() == ('refund_button = role("button", "Refund", '
                                     'state="refundable", money=True)')
    assert pm_change.new.strip() == ('refund_button = role("button", "Issue credit", '
                                     'state="refundable", money=True)')
    patch = tmp_path / "fix.patch"
    # A money control's note heads the patch as a comment; git reads past it.
    patch.write_text(unified_patch([c for c in changes if c is not None],
                                   ["money control: needs review: pages/pm.py refund_button"]))
    assert patch.read_text().startswith("# money control: needs review: pages/pm.py ")

    assert '+    quick_search_link = role("link", "Order Lookup", within="menu")' in \
        patch.read_text()
    subprocess.run(["git", "-C", str(PROJECT_ROOT), "apply", "--check", str(patch)], check=True)


def test_a_proposal_using_form_field_adds_its_import(tmp_path: Path) -> None:
    from pages.geotrust import HomePage

    change = source_change(HomePage.image_number, 'form_field("image_number")')
    assert change is not None
    text = unified_patch([change])

    assert "+    form_field,\n" in text
    patch = tmp_path / "fix.patch"
    patch.write_text(text)
    subprocess.run(["git", "-C", str(PROJECT_ROOT), "apply", "--check", str(patch)], check=True)


def test_the_baseline_diff_names_added_removed_and_renamed_controls() -> None:
    before = '- heading "Transaction" [level=1]\n- button "Refund"\n- link "Help"\n'
    after = ('- heading "Transaction" [level=1]\n- button "Issue credit"\n'
             '- link "Support centre"\n- link "Contact us"\n- textbox "Note"\n')
    page = PageResult("pm.TransactionPage", "pm", PAGE_OK, locators=[
        LocatorResult("refund_button", "", "ok", "", target=("button", "Refund"))])

    changes = {(c.change, c.role, c.name, c.was, c.used_by) for c in diff(before, after, page)}

    assert ("renamed", "button", "Issue credit", "Refund", "refund_button") in changes
    assert ("added", "textbox", "Note", "", "") in changes  # a control no locator uses yet
    links = {c for c in changes if c[1] == "link"}
    assert links == {("added", "link", "Contact us", "", ""),
                     ("added", "link", "Support centre", "", ""),
                     ("removed", "link", "Help", "", "")}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.close()


def test_an_alert_is_posted_for_an_outage_and_not_for_a_clean_night(receiver: Receiver) -> None:
    down = CheckReport(pages=[PageResult("symantec.LoginPage", "symantec", PAGE_UNREACHABLE,
                                         reason="console symantec unreachable: HTTP 503",
                                         blocked_by="symantec")],
                       unreachable={"symantec": "symantec answered HTTP 503"})
    clean = CheckReport(pages=[PageResult("pm.SearchPage", "pm", PAGE_OK)])

    sent = notify(receiver.url, down, {"html": "/tmp/r.html"})
    quiet = notify(receiver.url, clean, {})

    assert sent == {"url": receiver.url, "sent": True, "status": 204}
    assert quiet["sent"] is False
    (posted,) = receiver.posted
    assert posted["exit_code"] == 2 and posted["unreachable"] == {
        "symantec": "symantec answered HTTP 503"}
    assert posted["not_checked"] == ["symantec.LoginPage"]
    assert posted["reports"] == {"html": "/tmp/r.html"}


def test_an_alert_for_drift_names_the_line_to_fix(receiver: Receiver) -> None:
    broken = LocatorResult("refund_button", "get_by_role('button', name='Refund')", MISSING,
                           "pm.TransactionPage.refund_button", where="pages/pm.py:182",
                           money=True)
    report = CheckReport(pages=[PageResult("pm.TransactionPage", "pm", PAGE_DRIFT,
                                           locators=[broken])])

    assert notify(receiver.url, report, {})["sent"] is True
    (posted,) = receiver.posted
    assert posted["exit_code"] == 1
    assert posted["broken"] == [{"declared_in": "pm.TransactionPage.refund_button",
                                 "where": "pages/pm.py:182", "locator": broken.locator,
                                 "status": "missing", "page": "pm.TransactionPage",
                                 "money": True, "review": "money control: needs review",
                                 "proposal": None}]
    assert posted["needs_review"] == 1


def test_a_webhook_that_is_down_is_reported_not_raised() -> None:
    report = CheckReport(pages=[PageResult("pm.SearchPage", "pm", PAGE_UNREACHABLE)],
                         unreachable={"pm": "down"})

    answer = notify("http://127.0.0.1:9/hook", report, {})

    assert answer["sent"] is False and answer["reason"]


def test_role_records_its_caller() -> None:
    spec = role("button", "Refund")
    assert spec.origin is not None and spec.origin[0] == __file__
