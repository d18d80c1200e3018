"""The selector check as JUnit XML, for CI: one testsuite per page, one testcase per locator.

A broken locator's failure says where it is declared and what to write instead; a page's
screenshot is attached the way Jenkins and GitLab read attachments (``[[ATTACHMENT|path]]`` in
the test case's ``system-out``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from runner.selectors.report import (
    INCOMPLETE,
    OK,
    PAGE_SKIPPED,
    PAGE_STALE,
    CheckReport,
    LocatorResult,
    PageResult,
)


def write_junit(report: CheckReport, path: Path) -> None:
    """One testsuite per page, an ``open`` testcase for reaching it, a testcase per locator.

    ``open`` errors when the page could not be checked (so CI shows an incomplete check as an
    error, not as a pass) and is skipped for pages only a person can reach; a locator is a
    failure only when missing or ambiguous.
    """
    root = ET.Element("testsuites", name="verify-selectors",
                      time=_seconds(report.duration_ms))
    totals = Counter[str]()
    for page in report.pages:
        suite = ET.SubElement(root, "testsuite", name=page.page, time=_seconds(page.duration_ms))
        counts = Counter[str]()
        _open_case(suite, page, counts)
        for result in page.locators:
            _locator_case(suite, page, result, counts)
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
        totals.update(counts)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _locator_case(suite: ET.Element, page: PageResult, result: LocatorResult,
                  counts: Counter[str]) -> None:
    case = ET.SubElement(suite, "testcase", classname=page.page, name=result.name,
                         time=_seconds(result.duration_ms))
    if result.where:
        case.set("file", result.where.rpartition(":")[0])
        case.set("line", result.where.rpartition(":")[2])
    counts["tests"] += 1
    if result.is_drift:
        counts["failures"] += 1
        review = f"{result.review}: " if result.review else ""
        failure = ET.SubElement(case, "failure", type=result.status,
                                message=f"{review}{result.status}: {result.locator}")
        lines = [result.message, f"declared in {result.declared_in} ({result.where})"]
        lines += [f"{result.review}: it clicks a side effect; check by hand that a new "
                  "control does the same before applying any proposal"] if review else []
        lines += [f"proposal {n}: {p.declaration}  [{p.kind}]"
                  for n, p in enumerate(result.proposals, 1)]
        failure.text = "\n".join(lines)
        _attach(case, page)
    elif result.status != OK:
        counts["skipped"] += 1
        ET.SubElement(case, "skipped", message=f"{result.status}: {result.message}")


def _open_case(suite: ET.Element, page: PageResult, counts: Counter[str]) -> None:
    case = ET.SubElement(suite, "testcase", classname=page.page, name="open",
                         time=_seconds(page.duration_ms))
    counts["tests"] += 1
    if page.status in INCOMPLETE:
        counts["errors"] += 1
        ET.SubElement(case, "error", type=page.status, message=page.reason)
        _attach(case, page)
    elif page.status in (PAGE_SKIPPED, PAGE_STALE):  # stale: a warning, not a pass
        counts["skipped"] += 1
        ET.SubElement(case, "skipped", message=f"{page.status}: {page.reason}")
    elif page.reason:
        ET.SubElement(case, "system-out").text = page.reason


def _attach(case: ET.Element, page: PageResult) -> None:
    if page.screenshot_path:
        ET.SubElement(case, "system-out").text = f"[[ATTACHMENT|{page.screenshot_path}]]"


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}"
