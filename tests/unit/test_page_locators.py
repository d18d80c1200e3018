"""A misspelt locator is caught without a browser: by mypy, or when the page class is defined.

Page code names a locator by its declared attribute (``self.find(self.refund_button)``), so
mypy (run by ``make lint`` and CI) rejects a name no page declares, and a string where a
locator belongs. ``within=`` still names a locator by string (a subclass may redeclare the
scope); a wrong one is refused as the class is defined.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from mypy import api as mypy_api

from pages.base import PageObject, all_pages, role

ROOT = Path(__file__).resolve().parents[2]
LOCATOR_METHODS = {"loc", "find", "visible_now", "fill", "sub", "submit", "drift", "details"}


USES = """\
from pages.pm import TransactionPage


def misspelt(page: TransactionPage) -> None:
    page.find(page.refund_buton)


def by_string(page: TransactionPage) -> None:
    page.submit("refund_button")


def declared(page: TransactionPage) -> None:
    page.submit(page.refund_button)
"""


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    """mypy's errors, by line, on a module using a page object (the project's config and
    cache, so that a checkout that ran ``make lint`` pays about a second)."""
    module = tmp_path_factory.mktemp("mypy") / "uses_pages.py"
    module.write_text(USES)
    out, err, _ = mypy_api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                "--cache-dir", str(ROOT / ".mypy_cache"),
                                "--no-error-summary", str(module)])
    assert not err, err
    report: dict[int, str] = {}
    for line in out.splitlines():
        _, number, message = line.split(":", 2)
        report[int(number)] = report.get(int(number), "") + message
    return report


def _line(text: str) -> int:
    return USES.splitlines().index(text) + 1


def test_mypy_rejects_a_misspelt_locator(mypy_report: dict[int, str]) -> None:
    assert ('has no attribute "refund_buton"; maybe "refund_button"?'
            in mypy_report[_line("    page.find(page.refund_buton)")])


def test_mypy_rejects_a_locator_named_by_string(mypy_report: dict[int, str]) -> None:
    assert ('incompatible type "str"; expected "Loc"'
            in mypy_report[_line('    page.submit("refund_button")')])


def test_mypy_accepts_a_declared_locator(mypy_report: dict[int, str]) -> None:
    assert set(mypy_report) == {_line("    page.find(page.refund_buton)"),
                                _line('    page.submit("refund_button")')}


def test_a_scope_naming_no_locator_is_refused_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match=r"Broken.row_button: within='tabel' names no locator"):

        class Broken(PageObject):
            table = role("table", "Orders")
            row_button = role("button", "Open", within="tabel")


def test_every_page_names_its_locators_by_attribute() -> None:
    """No page module passes a string where a locator belongs (mypy cannot see ``loc``'s str,
    which only the selector check uses, by name)."""
    found = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LOCATOR_METHODS and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_every_locator_is_named_by_identity() -> None:
    for cls in all_pages():
        for name, spec in cls.locators().items():
            assert cls.name_of(spec) == name
