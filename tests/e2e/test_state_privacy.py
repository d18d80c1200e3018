"""State is private: a failed run's evidence carries no session cookie, and every state file is
0600 in 0700 folders. Real runs through the CLI, real Chromium, real sandbox."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from runner.config import DEFAULT_CONFIG
from sandbox.server import SandboxServer
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.leaks import Secret, scan

pytestmark = pytest.mark.browser


@pytest.fixture
def cli(sandbox: SandboxClient, sandbox_server: SandboxServer, tmp_path: Path) -> Cli:
    return Cli(sandbox.url, Path(sandbox_server.db_path), tmp_path / "home")


def test_the_evidence_of_a_logged_in_console_holds_no_session_cookie(
        cli: Cli, sandbox: SandboxClient) -> None:
    cli.home.mkdir()
    sandbox.faults(down="geotrust")  # fails after the Symantec login, at the GeoTrust step
    answer = cli.run("cancel_refund", "T-950", "fresh-issued.example")
    assert answer.code == 1, answer.stderr
    assert answer.data["error"]["kind"] == "console"
    (evidence,) = [Path(p) for p in answer.data["artifacts"] if p.endswith(".zip")]
    state = json.loads((cli.home / "login-state" / "symantec.json").read_text())
    (session_cookie,) = [c["value"] for c in state["cookies"] if c["name"] == "symantec_session"]
    assert len(session_cookie) >= 16
    with zipfile.ZipFile(evidence) as archive:  # the evidence shows the Symantec pages...
        journal = json.loads(archive.read("journal.json"))
        tabs = json.loads(archive.read("tabs.json"))
        assert "Order Information" in archive.read("symantec.aria.yaml").decode()
    assert any("/symantec/" in str(e.get("url")) for e in journal)
    assert "/symantec/" in tabs["symantec"]["url"]
    # ...but not the cookie that logs in there (tests/leaks.py, the one scanner)
    assert scan([Secret("session cookie", session_cookie)], [evidence]) == []


def test_a_kept_trace_of_a_logged_in_console_holds_no_session_cookie(
        cli: Cli, sandbox: SandboxClient, tmp_path: Path) -> None:
    """``browser.trace_on_failure: true`` records a trace again; kept, it is masked."""
    cli.home.mkdir()
    config = tmp_path / "traced.yaml"
    config.write_text(DEFAULT_CONFIG.read_text().replace(
        "  read_retries:", "  trace_on_failure: true\n  read_retries:"))
    sandbox.faults(down="geotrust")
    answer = cli.run("cancel_refund", "T-953", "fresh-issued.example", "--config", str(config))
    assert answer.code == 1, answer.stderr
    (trace,) = [Path(p) for p in answer.data["artifacts"] if Path(p).name.startswith("trace-")]
    state = json.loads((cli.home / "login-state" / "symantec.json").read_text())
    (session_cookie,) = [c["value"] for c in state["cookies"] if c["name"] == "symantec_session"]
    with zipfile.ZipFile(trace) as archive:
        network = archive.read("trace.network").decode()
    assert "/symantec/" in network and '"name":"Cookie","value":"[masked]"' in network
    assert scan([Secret("session cookie", session_cookie)], [trace]) == []


def test_every_state_file_is_owner_only(cli: Cli, sandbox: SandboxClient) -> None:
    cli.home.mkdir(mode=0o700)
    paused = cli.run("cancel_refund", "T-951", "fresh-issued.example")
    assert paused.code == 3, paused.stderr  # waits for the captcha: an image in the artifacts
    assert any(p.endswith(".png") for p in paused.data["artifacts"])
    sandbox.faults(down="pm")
    failed = cli.run("cancel_refund", "T-952", "pending.example")
    assert failed.code == 1, failed.stderr  # a screenshot and the evidence zip
    kinds = {p.suffix for p in cli.home.rglob("*")}
    assert {".db", ".json", ".png", ".zip"} <= kinds
    loose = [f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}" for p in cli.home.rglob("*")
             if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)]
    assert loose == []
