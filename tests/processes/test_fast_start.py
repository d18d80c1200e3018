"""The commands an agent calls most start without Playwright, Flask or Pillow: their imports
alone cost more than the whole command should (bench/startup.py measures the time)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests import children
from tests.processes.cli import ROOT

HEAVY = ("playwright", "flask", "PIL", "werkzeug", "jsonschema", "prometheus_client",
         "opentelemetry")  # metrics and traces: only where exposed or configured


def imported(*args: str, cwd: Path, exit_code: int) -> set[str]:
    """Top-level names of every module the command imported (python -X importtime)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTRUNNER_")}
    env["CERTRUNNER_STORE"] = str(cwd / "runs.db")
    done = children.run([sys.executable, "-X", "importtime", str(ROOT / "run.py"), *args], 60,
                        cwd=cwd, env=env, text=True)
    assert done.returncode == exit_code, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    assert "runner.cli.main" in names  # the measurement itself works
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize(("args", "exit_code"), [
    (("--help",), 0), (("--version",), 0),
    (("status", "T-1", "--json"), 2),  # no such run: an input error, answered all the same
    (("runs", "list", "--json"), 0), (("schema",), 0), (("flows", "list", "--json"), 0),
])
def test_no_heavy_imports(tmp_path: Path, args: tuple[str, ...], exit_code: int) -> None:
    assert imported(*args, cwd=tmp_path, exit_code=exit_code) & set(HEAVY) == set()
