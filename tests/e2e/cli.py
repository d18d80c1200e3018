"""Drive `python run.py` as a separate process, the way agents and cron do.

Every call is a new process: nothing survives between calls but the run store, the sandbox DB
and the artifacts, which is exactly what pause and resume must live with. The tests whose
subject is the answer rather than the process use the same interface in the test process
(``InProcessCli``); ``start`` is a real process in both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import Browser

from runner.config import DEFAULT_CONFIG
from tests import children, contract
from tests.inprocess import invoke

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Answer:
    code: int
    data: Any
    stdout: str
    stderr: str


def answer(args: tuple[str, ...], code: int, stdout: str, stderr: str) -> Answer:
    """What one command answered; under --json its stdout must be one document, valid by the
    schema (the check raises otherwise)."""
    if "--json" in args:
        data = contract.parse(args, stdout)
    else:
        try:
            data = json.loads(stdout) if stdout.strip().startswith(("{", "[")) else None
        except json.JSONDecodeError:
            data = None
    return Answer(code, data, stdout, stderr)


class Cli:
    """`run.py` against the test session's sandbox server, with its own store and artifacts."""

    def __init__(self, sandbox_url: str, sandbox_db: Path, home: Path) -> None:
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("CERTRUNNER_", "SYMANTEC_"))}
        self.env.update({
            "SANDBOX_URL": sandbox_url,
            "SANDBOX_DB": str(sandbox_db),
            "CERTRUNNER_HOME": str(home),  # runs.db, artifacts/, login-state/
        })
        self.home = home

    def start(self, *args: str, now: str | None = None, stderr: int = subprocess.PIPE,
              config: Path | None = None) -> subprocess.Popen[str]:
        """Start one command; ``stderr`` may be STDOUT (merged, as agents' shells do) or a pty;
        ``config`` a config file for this command alone."""
        return children.start([sys.executable, str(ROOT / "run.py"), *args], cwd=self.home,
                              env=self.environment(now, config), stdout=subprocess.PIPE,
                              stderr=stderr, text=True)

    def __call__(self, *args: str, now: str | None = None, timeout: float = 120,
                 config: Path | None = None) -> Answer:
        """Run one command; under --json its stdout must be one document, valid by the schema.
        A command still running after ``timeout`` is killed with its group (its Chromium)."""
        process = self.start(*args, now=now, config=config)
        stdout, stderr = children.communicate(process, timeout)
        return answer(args, process.returncode, stdout, stderr)

    def environment(self, now: str | None = None, config: Path | None = None) -> dict[str, str]:
        """The environment one command runs with."""
        env = dict(self.env)
        if now:
            env["CERTRUNNER_NOW"] = now
        if config:
            env["CERTRUNNER_CONFIG"] = str(config)
        return env

    def config_with(self, name: str, **browser: int) -> Path:
        """A copy of the config these commands use (the shipped default unless the test set
        one), with ``browser`` settings changed, written into the home folder."""
        raw = yaml.safe_load(Path(self.env.get("CERTRUNNER_CONFIG") or DEFAULT_CONFIG)
                             .read_text())
        raw["browser"] = {**(raw.get("browser") or {}), **browser}
        path = self.home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(raw))
        return path

    def parse(self, args: tuple[str, ...], stdout: str) -> Any:
        """What a started process printed, checked like ``__call__`` does."""
        return contract.parse(args, stdout)

    def run(self, flow: str, ticket: str, domain: str, *extra: str,
            now: str | None = None) -> Answer:
        return self("run", flow, "--ticket", ticket, "--domain", domain, "--json", *extra,
                    now=now)

    def resume(self, run_id: str, *inputs: str, now: str | None = None) -> Answer:
        args = [a for pair in inputs for a in ("--input", pair)]
        return self("resume", run_id, *args, "--json", now=now)


class InProcessCli(Cli):
    """``Cli`` whose commands run in this process on ``browser`` (``start`` stays a process)."""

    def __init__(self, sandbox_url: str, sandbox_db: Path, home: Path, browser: Browser) -> None:
        super().__init__(sandbox_url, sandbox_db, home)
        self.browser = browser

    def __call__(self, *args: str, now: str | None = None, timeout: float = 120,
                 config: Path | None = None) -> Answer:
        """Run one command here; ``timeout`` is the process's bound, kept for the interface."""
        code, stdout, stderr = invoke(list(args), self.environment(now, config), self.home,
                                      self.browser)
        return answer(args, code, stdout, stderr)
