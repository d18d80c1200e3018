"""The processes a test starts: each leads a process group of its own, and whatever outlives its
test, or a timeout, is killed with its whole group.

A runner process starts a Playwright driver and a Chromium; killing the runner alone on a
timeout would leave them running, able to click in the next test's freshly seeded sandbox. So
a timeout kills the group and re-raises, and the fixture in tests/conftest.py kills the group of
every child a test started once the test is over, whatever became of the test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from typing import Any

_started: list[subprocess.Popen[Any]] = []


def start(argv: Sequence[str], **options: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen`` in a new session (a group of its own), remembered for the reaper."""
    process: subprocess.Popen[Any] = subprocess.Popen(list(argv), start_new_session=True,
                                                      **options)
    _started.append(process)
    return process


def communicate(process: subprocess.Popen[Any], timeout: float,
                stdin: Any = None) -> tuple[Any, Any]:
    """``process.communicate``; on a timeout the whole group is killed, then the timeout is
    raised again (with what the process had written)."""
    try:
        return process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        process.communicate()
        raise


def wait(process: subprocess.Popen[Any], timeout: float) -> int:
    """``process.wait``; on a timeout the group is killed and the timeout raised again."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        process.wait()
        raise


def run(argv: Sequence[str], timeout: float, **options: Any) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run`` with output captured unless redirected, killing the group on timeout."""
    if "capture_output" in options:
        if options.pop("capture_output"):
            options.setdefault("stdout", subprocess.PIPE)
            options.setdefault("stderr", subprocess.PIPE)
    else:
        options.setdefault("stdout", subprocess.PIPE)
        options.setdefault("stderr", subprocess.PIPE)
    process = start(argv, **options)
    stdout, stderr = communicate(process, timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def kill_group(process: subprocess.Popen[Any]) -> None:
    """SIGKILL the process's group: the process and whatever it started that stayed in it."""
    with contextlib.suppress(ProcessLookupError):  # the whole group has already ended
        os.killpg(process.pid, signal.SIGKILL)


def mark() -> int:
    """Where the list of started processes stands (``reap`` kills those started after)."""
    return len(_started)


def reap(since: int) -> list[int]:
    """Kill the group of every process started since ``since``; the pids of those still alive
    then (their own process or a member of their group)."""
    late = _started[since:]
    del _started[since:]
    alive = [p.pid for p in late if p.poll() is None]
    for process in late:
        kill_group(process)
        process.wait(timeout=30)  # SIGKILL cannot be caught: a process still there is a bug
    return alive
