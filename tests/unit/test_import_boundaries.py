"""The arrows the layout forbids, read from the source with ``ast`` (not grep, not by importing).

- The sandbox is the vendor's replica: it imports nothing of the runner or the page objects,
  so it stays a faithful stand-in for consoles that know nothing of us.
- The engine imports no Playwright (its errors are translated at the browser boundary) and no
  door: the doors call the engine, never the other way round.
- The config imports nothing of the engine.
- The doors are peers on the application layer: none imports another, and the application
  layer, the engine and the store import no door. The service may mount MCP and the console
  (composition), and the command line may start any door (``serve``, ``worker``).

Every import counts: at the top, inside a function, under ``TYPE_CHECKING``, relative, or a
constant name given to ``importlib.import_module``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOORS = ("runner.cli", "runner.service", "runner.mcp", "runner.workers", "runner.console")


@dataclass(frozen=True)
class Rule:
    """Modules under ``folder`` may not import any of ``forbidden`` (a name or its children)."""

    folder: str
    forbidden: tuple[str, ...]
    why: str


RULES = [
    Rule("sandbox", ("runner", "pages"), "the vendor's replica knows nothing of us"),
    Rule("runner/engine", ("playwright", "runner.app", *DOORS),
         "the engine imports no Playwright and no door"),
    Rule("runner/config", ("runner.engine",), "the config imports nothing of the engine"),
    Rule("runner/app", DOORS, "the application layer imports no door"),
    Rule("runner/store", ("runner.app", "runner.engine", *DOORS),
         "the store imports neither the layers above it nor a door"),
    Rule("runner/service", ("runner.cli", "runner.workers"),
         "the service mounts MCP and the console, and imports no other door"),
    Rule("runner/mcp", ("runner.cli", "runner.service", "runner.workers", "runner.console"),
         "MCP is a door of its own"),
    Rule("runner/workers", ("runner.cli", "runner.service", "runner.mcp", "runner.console"),
         "the workers are a door of their own"),
    Rule("runner/console", ("runner.cli", "runner.service", "runner.mcp", "runner.workers"),
         "the console is a door of its own"),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module name ``source`` (the text of ``module``) imports, relative ones resolved."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            stem = ".".join([*base, *([node.module] if node.module else [])])
            names.add(stem)
            names.update(f"{stem}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and _called(node.func) in {"import_module", "__import__"}):
            names.add(node.args[0].value)
    return names


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _breaks(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def violations(rule: Rule) -> list[str]:
    found = []
    for path in sorted((ROOT / rule.folder).rglob("*.py")):
        names = imported_names(path.read_text(), module_name(path), path.name == "__init__.py")
        found += [f"{path.relative_to(ROOT)} imports {name}"
                  for name in sorted(names) if _breaks(name, rule.forbidden)]
    return found


@pytest.mark.parametrize("rule", RULES, ids=[r.folder for r in RULES])
def test_layout_boundary_holds(rule: Rule) -> None:
    assert list((ROOT / rule.folder).rglob("*.py")), f"{rule.folder} has moved: update the rule"
    assert violations(rule) == [], rule.why


@pytest.mark.parametrize(("source", "module", "caught"), [
    ("from runner.clock import Clock", "sandbox.times", "runner.clock"),
    ("import pages.portal as p", "sandbox.customer", "pages.portal"),
    ("def f():\n    from runner import actions", "sandbox.cli", "runner.actions"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import runner",
     "sandbox.app", "runner"),
    ("import importlib\nimportlib.import_module('runner.errors')", "sandbox.cli",
     "runner.errors"),
    ("from ...cli import app", "runner.engine.steps.ask", "runner.cli.app"),
    ("from ..service import core", "runner.engine.executor", "runner.service.core"),
    ("from playwright.sync_api import Error", "runner.engine.executor",
     "playwright.sync_api"),
])
def test_the_check_sees_every_kind_of_import(source: str, module: str, caught: str) -> None:
    """The boundary test cannot pass by not looking: each spelling of an import is seen."""
    names = imported_names(source, module)
    assert caught in names
    assert any(_breaks(name, rule.forbidden) for name in names for rule in RULES
               if module.startswith(rule.folder.replace("/", ".")))


def test_a_relative_import_inside_a_package_stays_inside() -> None:
    names = imported_names("from . import faults\nfrom .times import iso", "sandbox", True)
    assert names == {"sandbox", "sandbox.faults", "sandbox.times", "sandbox.times.iso"}
    assert not any(_breaks(name, ("runner", "pages")) for name in names)
