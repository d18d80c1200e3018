"""Resumes due runs inside the service, so no cron job is needed while it runs.

Every ``every`` (and once at start, which is how a restart picks up the runs a stopped process
left behind) it hands the service's ``tick`` the chance to queue waiting runs whose check time
has come and runs orphaned by a dead process. The wait between ticks is an Event, so stop()
ends it at once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta

from runner.errors import RunnerError
from runner.logs import get_logger


class Scheduler:
    def __init__(self, tick: Callable[[], int], every: timedelta) -> None:
        self._tick = tick
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self.log = get_logger()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                queued = self._tick()
            except (RunnerError, sqlite3.OperationalError) as exc:
                # A busy store or a bad run must not stop the scheduling of every other run.
                self.log.error("scheduler_tick_failed", error=repr(exc))
            else:
                if queued:
                    self.log.info("scheduler_tick", queued=queued)
            self._stop.wait(self._every.total_seconds())
