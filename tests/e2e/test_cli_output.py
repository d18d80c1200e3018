"""What a caller sees of a real run besides its JSON: nothing on a merged stream, logs at the
level asked for, and a live line for the running step only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess

import pytest

from tests import children, contract
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient


@pytest.fixture
def cli(cli_process: Cli) -> Cli:
    """What a process prints is the subject here: every command a process of its own."""
    return cli_process


def test_json_with_stderr_merged_is_one_document_even_at_debug(
        cli: Cli, sandbox: SandboxClient) -> None:
    sandbox.faults(fail_next=1)  # a retried read: a warning that would otherwise be logged
    args = ("--log-level", "debug", "run", "refund_check", "--ticket", "T-1", "--domain",
            "pending.example", "--json")
    process = cli.start(*args, stderr=subprocess.STDOUT)
    out, _ = children.communicate(process, 120)
    assert process.returncode == 0, out
    assert contract.parse(args, out)["outcome"] == "refundable"

    separate = cli("run", "refund_check", "--ticket", "T-2", "--domain", "pending.example",
                   "--json", "--log-level", "info")  # after the command name, too
    assert separate.code == 0, separate.stderr
    events = [json.loads(line) for line in separate.stderr.splitlines()]
    assert [e["step"] for e in events if e["event"] == "step"][:1] == ["order"]


def test_no_logs_under_json_by_default(cli: Cli, sandbox: SandboxClient) -> None:
    answer = cli.run("refund_check", "T-3", "pending.example")
    assert answer.code == 0 and answer.stderr == ""


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_live_step_line_on_a_terminal_only(cli: Cli, sandbox: SandboxClient) -> None:
    sandbox.faults(latency_ms=1500)  # every console answer takes 1.5 s: the line has time to tick
    master, slave = pty.openpty()
    process = cli.start("run", "refund_check", "--ticket", "T-4", "--domain", "pending.example",
                        stderr=slave)
    os.close(slave)
    terminal = _read_all(master)
    out, _ = children.communicate(process, 180)
    os.close(master)
    assert process.returncode == 0, out + terminal
    assert "\r\x1b[K  [1/4] order" in terminal and "running" in terminal
    assert "\r" not in out and "[1/4] order" in out  # step lines stay plain, on stdout

    piped = cli("run", "refund_check", "--ticket", "T-5", "--domain", "pending.example")
    assert piped.code == 0 and "\r" not in piped.stderr and "running" not in piped.stderr
