"""The nightly check's history and what it keeps of a page, without a browser: nights listed
newest first and pruned to the configured number; snapshots redacted; a snapshot parsed back
into the page's structure."""

from __future__ import annotations

import json
from pathlib import Path

from runner.selectors.nights import list_nights, night_folder, prune, write_night
from runner.selectors.report import CheckReport, LocatorResult, PageResult
from runner.selectors.snapshot_page import AriaNode, parse_tree, render
from runner.selectors.witness import redact, redact_url

MAIL = """- main:
  - heading "Access to your GeoTrust user portal" [level=1]
  - paragraph: "To: admin@fresh-issued.example · Sent 2026-12-07T15:29:30+00:00"
  - paragraph:
    - link "Open your user portal":
      - /url: /portal/login/IZrvt3Duez5f_dIGj8b9McMD
  - cell: 1.50"""


def _report(started_at: str, broken: bool) -> CheckReport:
    result = LocatorResult("refund_button", "get_by_role('button', name='Refund')",
                           "missing" if broken else "ok", "pm.TransactionPage.refund_button",
                           money=True)
    page = PageResult("pm.TransactionPage", "pm", "drift" if broken else "ok",
                      locators=[result])
    return CheckReport(pages=[page], started_at=started_at)


def test_nights_are_listed_newest_first_and_the_oldest_pruned(tmp_path: Path) -> None:
    root = tmp_path / "reports" / "selector-check"
    for day, broken in ((1, False), (2, True), (3, False)):
        report = _report(f"2026-12-0{day}T02:00:00+00:00", broken)
        write_night(report, night_folder(root, report.started_at), {})
    again = night_folder(root, "2026-12-03T02:00:00+00:00")  # same second: a folder of its own
    (root / "notes").mkdir()  # not a night: left alone, not listed

    nights = list_nights(root)

    assert [n.folder.name for n in nights] == ["20261203T020000Z-2", "20261203T020000Z",
                                               "20261202T020000Z", "20261201T020000Z"]
    assert nights[0].exit_code is None and "did not finish" in nights[0].headline
    assert [(n.date, n.exit_code, n.needs_review) for n in nights[1:]] == [
        ("2026-12-03", 0, 0), ("2026-12-02", 1, 1), ("2026-12-01", 0, 0)]
    assert set(nights[2].paths) == {"html", "junit", "json", "proposals"}
    kept = json.loads(Path(nights[2].paths["json"]).read_text())
    assert kept["reports"]["html"] == nights[2].paths["html"]
    assert Path(nights[2].paths["proposals"]).read_text() == ""  # no proposal: nothing to apply

    assert prune(root, 2) == [root / "20261202T020000Z", root / "20261201T020000Z"]
    assert [n.folder for n in list_nights(root)] == [again, root / "20261203T020000Z"]
    assert (root / "notes").is_dir()


def test_a_snapshot_keeps_no_email_and_no_link_target() -> None:
    kept = redact(MAIL)

    assert "@" not in kept and "/url" not in kept and "IZrvt3" not in kept
    assert '    - link "Open your user portal"\n' in kept + "\n"  # no dangling colon
    assert '"To: (email) · Sent 2026-12-07T15:29:30+00:00"' in kept
    assert redact_url("http://x/portal/?token=abc#t") == "http://x/portal/"


def test_a_snapshot_is_read_back_as_the_page_structure() -> None:
    (main,) = parse_tree(redact(MAIL))

    assert isinstance(main, AriaNode) and main.role == "main"
    heading, to, link_paragraph, cell = main.children
    assert isinstance(heading, AriaNode) and (heading.name, heading.attrs) == (
        "Access to your GeoTrust user portal", {"level": "1"})
    assert isinstance(cell, AriaNode) and cell.text == "1.50"  # kept as shown, not a number
    html = render(MAIL)
    assert "<h1>Access to your GeoTrust user portal</h1>" in html
    assert '<a href="#">Open your user portal</a>' in html and "IZrvt3" not in html
    assert "<script" not in render('- paragraph: "<script>alert(1)</script>"')


def test_the_console_lists_the_same_nights_with_what_a_person_opens(tmp_path: Path) -> None:
    from runner.app.nightly import night, nights

    root = tmp_path / "reports"
    for day, broken in ((1, False), (2, True)):
        report = _report(f"2026-12-0{day}T02:00:00+00:00", broken)
        write_night(report, night_folder(root, report.started_at), {})
    (root / "20261203T020000Z").mkdir()  # a check still writing: unreadable, not a crash
    (root / "20261204T020000Z").mkdir()
    (root / "20261204T020000Z" / "report.json").write_text("[1, 2]")  # not a report

    listed = nights(tmp_path)

    assert [(n.name, n.ok) for n in listed] == [
        ("20261204T020000Z", None), ("20261203T020000Z", None),
        ("20261202T020000Z", False), ("20261201T020000Z", True)]
    drift, passed = listed[2], listed[3]
    assert drift.patch is None and passed.patch is None  # empty patches: nothing to download
    Path(drift.paths["proposals"]).write_text("--- a/pages/pm.py\n")
    assert night(tmp_path, "20261202T020000Z").patch == Path(drift.paths["proposals"])
    assert drift.html is not None and drift.html.is_file()
    assert nights(tmp_path, limit=1) == listed[:1]
    assert night(tmp_path, "20261202T020000Z").started_at == drift.started_at
    assert night(tmp_path, "../20261202T020000Z") is None
    assert nights(tmp_path / "elsewhere") == []
