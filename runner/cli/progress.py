"""Progress for a person at a terminal: a line per finished step, and a live line for the step
that is running, so a 15-second console call is not 15 seconds of silence.

The live line is one stderr line rewritten in place by a ticker thread, and only when stderr is
a terminal: under ``--json`` there is no progress at all, and a pipe or a log file never sees a
carriage return.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

CLEAR = "\r\x1b[K"


class LiveProgress:
    """Callable like a plain progress printer; ``step_started`` starts the live line."""

    def __init__(self, echo: Callable[[str], None], stream: TextIO | None,
                 interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.echo = echo
        self.stream = stream if stream is not None and stream.isatty() else None
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._step: tuple[str, int, int, float] | None = None
        self._drawn = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def live(self) -> bool:
        return self.stream is not None

    def __call__(self, line: str) -> None:
        """A finished step (or any message): the live line makes way for it."""
        with self._lock:
            self._step = None
            self._clear()
        self.echo(line)

    def step_started(self, step_id: str, index: int, total: int) -> None:
        if self.stream is None:
            return
        with self._lock:
            self._step = (step_id, index, total, self.clock())
        if self._thread is None:
            self._thread = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._clear()

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                self._draw()

    def _draw(self) -> None:
        if self._step is None or self.stream is None:
            return
        step_id, index, total, started = self._step
        elapsed = int(self.clock() - started)
        self.stream.write(f"{CLEAR}  [{index + 1}/{total}] {step_id:<18} running  {elapsed:>4} s")
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn and self.stream is not None:
            self.stream.write(CLEAR)
            self.stream.flush()
            self._drawn = False
