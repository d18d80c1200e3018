"""The CLI as its callers run it: `python run.py` in a process of its own, with a clean
environment, so that nothing of the test process (its imports, its state home) leaks in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import children, contract

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
            merged: bool = False) -> tuple[int, str, str]:
    """One CLI process with its own state home; under --json its stdout is checked against the
    output schema. ``merged`` sends stderr into stdout, as many agents' shells do (``2>&1``)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CERTRUNNER_")}
    clean["CERTRUNNER_HOME"] = str(cwd / "home")
    done = children.run([sys.executable, str(ROOT / "run.py"), *args], 60, cwd=cwd,
                        env={**clean, **(env or {})}, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT if merged else subprocess.PIPE, text=True)
    if "--json" in args:
        contract.parse(args, done.stdout)
    return done.returncode, done.stdout, done.stderr or ""
