"""Every error code is declared once, in runner.error_codes, and the docs list them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runner.actions import load_catalogue
from runner.error_codes import (
    CONSOLE_COMMON,
    ErrorCode,
    ExitCode,
    Kind,
    NextType,
    exit_code,
)
from runner.error_docs import document
from runner.errors import BusinessError, ConsoleError, DriftError, InputError, RunnerError
from runner.language.model import ActionStep, WaitStep
from runner.language.validate import load_flow
from runner.shipped import FLOWS_DIR

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "runner").rglob("*.py"), *(ROOT / "pages").rglob("*.py")])


def test_no_code_is_a_string_literal_at_a_raising_site() -> None:
    literal = re.compile(r"""\bcode\s*=\s*["']""")
    found = [f"{path.relative_to(ROOT)}:{n}" for path in SOURCES
             for n, line in enumerate(path.read_text().splitlines(), 1) if literal.search(line)]
    assert found == []


def test_every_code_named_in_the_source_is_declared() -> None:
    named = {m for path in SOURCES for m in re.findall(r"ErrorCode\.([A-Z_]+)", path.read_text())}
    assert named and named <= set(ErrorCode.__members__)


def test_every_code_the_shipped_flows_name_is_declared() -> None:
    for path in sorted(FLOWS_DIR.glob("*.yaml")):
        for step in load_flow(path).steps:
            names = list(step.on_error) if isinstance(step, ActionStep) else []
            names += [step.timeout_code] if isinstance(step, WaitStep) and step.timeout_code else []
            assert set(names) <= {str(c) for c in ErrorCode}, path


def test_an_undeclared_code_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="'captcha_incorect' is not declared"):
        InputError("wrong", code="captcha_incorect")  # type: ignore[arg-type]
    assert InputError("ok", code="captcha_incorrect").code is ErrorCode.CAPTCHA_INCORRECT  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [BusinessError, ConsoleError, DriftError, InputError])
def test_an_error_class_carries_only_codes_of_its_kind(cls: type[RunnerError]) -> None:
    foreign = next(c for c in ErrorCode if c.kind is not cls.expected_kind)
    with pytest.raises(ValueError, match="cannot carry"):
        cls("x", code=foreign)  # type: ignore[call-arg]


def test_the_code_fixes_kind_exit_and_next_action() -> None:
    error = ConsoleError("down", code=ErrorCode.CONSOLE_TIMEOUT, step="order")
    assert error.to_dict() == {"code": "console_timeout", "kind": "console",
                               "message": "down [step=order]", "step": "order"}
    assert (error.code.exit_code, error.code.next_type) == (ExitCode.FAILED, NextType.RETRY_LATER)
    assert exit_code("failed", Kind.INPUT) == ExitCode.USAGE == 2
    assert exit_code("waiting") == ExitCode.PAUSED == 3
    assert exit_code("failed", "something new") == ExitCode.FAILED


def test_each_page_module_declares_the_codes_it_raises() -> None:
    """The codes a page module names are declared by its actions' ``raises=`` (those of the
    modules every console's pages share are the ones every console page may run into)."""
    catalogue = load_catalogue()
    shared = ("base", "arrival", "details", "locators")
    for path in sorted((ROOT / "pages").glob("*.py")):
        if path.stem in (*shared, "models", "__init__"):
            continue
        declared: set[ErrorCode] = set()
        for spec in catalogue.values():
            if spec.func.__module__ == f"pages.{path.stem}":
                declared |= spec.raises
        named = {ErrorCode[m] for m in re.findall(r"ErrorCode\.([A-Z_]+)", path.read_text())}
        assert named <= declared, (path.name, sorted(named - declared))
    common = {ErrorCode[m] for name in shared for m in re.findall(
        r"ErrorCode\.([A-Z_]+)", (ROOT / "pages" / f"{name}.py").read_text())}
    assert common and common <= set(CONSOLE_COMMON)


def test_docs_list_every_code_and_next_action_type() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text()
    assert doc == document(), "regenerate: python -m runner.error_docs > docs/errors.md"
    for code in ErrorCode:
        assert f"| `{code}` |" in doc
    for kind in NextType:
        assert f"| `{kind}` |" in doc
