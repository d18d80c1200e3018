"""Waiting on another process's state: polled, because nothing there can notify the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

POLL = 0.25  # seconds between looks while waiting for a condition


def wait_until(condition: Callable[[], Any], timeout: timedelta, what: str,
               diagnose: Callable[[], str] = lambda: "") -> Any:
    """Poll another process's state until ``condition`` answers truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout.total_seconds()
    pause = threading.Event()
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}: {what}. {diagnose()}")
        pause.wait(POLL)


def process_gone(pid: int, name: str = "chrom") -> bool:
    """Whether ``pid`` no longer runs a program whose command line holds ``name`` (a zombie
    has an empty one; a reused pid runs something else)."""
    path = Path(f"/proc/{pid}/cmdline")
    try:
        return name not in path.read_text(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return True


def group_gone(group: int) -> bool:
    """Whether no live process is left in process group ``group`` (a browser started in a
    session of its own leads one: its wrapper script, the browser and its helpers)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state not in ("Z", "X"):
            return False
    return True
