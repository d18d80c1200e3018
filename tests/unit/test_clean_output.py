"""Logs go to stderr at the level asked for (JSON logs when stdout is the contract); progress is
for terminals only. The CLI's own streams, in a process: tests/processes/test_merged_output.py."""

from __future__ import annotations

import io
import os
import sys
import threading

from runner import logs
from runner.cli.progress import CLEAR, LiveProgress


def test_defaults_drop_and_levels() -> None:
    assert logs.settings_for(None, json_output=True, json_logs=True).level == "warning"
    assert logs.settings_for(None, json_output=False, json_logs=True).level == "info"
    assert logs.settings_for("debug", json_output=True, json_logs=True).level == "debug"
    read, write = os.pipe()
    with os.fdopen(read) as r, os.fdopen(write, "w") as w:
        assert logs.streams_merged(w, w)
        assert not logs.streams_merged(w, sys.__stdin__)
        assert not logs.streams_merged(io.StringIO(), w)  # a test's capture: not a real file
        del r


class FakeTerminal(io.StringIO):
    """A stderr that says it is a terminal and tells when something was drawn."""

    def __init__(self, tty: bool = True) -> None:
        super().__init__()
        self.tty = tty
        self.drawn = threading.Event()

    def isatty(self) -> bool:
        return self.tty

    def flush(self) -> None:
        if "running" in self.getvalue():
            self.drawn.set()


def test_live_line_shows_the_running_step_and_makes_way_for_step_lines() -> None:
    lines: list[str] = []
    terminal = FakeTerminal()
    ticks = iter(range(0, 1000, 7))
    live = LiveProgress(lines.append, terminal, interval=0.01, clock=lambda: float(next(ticks)))
    live.step_started("info", 3, 9)
    assert terminal.drawn.wait(timeout=30)
    live("  [4/9] info  done")
    live.close()
    text = terminal.getvalue()
    assert f"{CLEAR}  [4/9] info" in text and " s" in text
    assert text.endswith(CLEAR)  # nothing left on the line after the step line
    assert lines == ["  [4/9] info  done"]


def test_no_live_line_when_stderr_is_not_a_terminal() -> None:
    lines: list[str] = []
    pipe = FakeTerminal(tty=False)
    live = LiveProgress(lines.append, pipe, interval=0.01)
    live.step_started("order", 0, 4)
    live("  [1/4] order  done")
    live.close()
    assert pipe.getvalue() == "" and not live.live
    assert lines == ["  [1/4] order  done"]
