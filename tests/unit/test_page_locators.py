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
LOCATOR_METHODS = {"loc", "find", "sub", "submit", "drift", "details"}


def _mypy(tmp_path: Path, body: str) -> str:
    """mypy's report on a module that uses the page objects (the project's config and cache)."""
    module = tmp_path / "uses_pages.py"
    module.write_text("from pages.pm import TransactionPage\n\n\n"
                      "def use(page: TransactionPage) -> None:\n" + body)
    out, err, _ = mypy_api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                "--cache-dir", str(ROOT / ".mypy_cache"),
                                "--no-error-summary", str(module)])
    return out + err


def test_mypy_rejects_a_misspelt_locator(tmp_path: Path) -> None:
    report = _mypy(tmp_path, "    page.find(page.refund_buton)\n")
    assert 'has no attribute "refund_buton"; maybe "refund_button"?' in report


def test_mypy_rejects_a_locator_named_by_string(tmp_path: Path) -> None:
    report = _mypy(tmp_path, '    page.submit("refund_button")\n')
    assert 'incompatible type "str"; expected "Loc"' in report


def test_mypy_accepts_a_declared_locator(tmp_path: Path) -> None:
    assert _mypy(tmp_path, "    page.submit(page.refund_button)\n").strip() == ""


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
