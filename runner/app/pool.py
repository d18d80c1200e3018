"""N worker threads on one shared Chromium, each with its own Playwright and store connection.

Playwright's sync API and SQLite connections both belong to the thread that opened them, so a
worker keeps its own of each for its whole life and runs one job at a time: a job is a call of
the application layer (runner.app.tickets) with the worker's context. The browser is shared:
every worker attaches to the one Chromium over CDP and each run gets its own context.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from runner.actions import Catalogue
from runner.app.context import AppContext
from runner.browser.session import BrowserHost
from runner.config import Config
from runner.error_codes import ErrorCode
from runner.errors import RunnerError
from runner.logs import get_logger

T = TypeVar("T")


class ServiceStopping(RunnerError):
    """The service is shutting down and takes no new work; retry against the restarted one."""

    def __init__(self) -> None:
        super().__init__("the service is stopping; nothing was started, retry in a moment",
                         ErrorCode.SERVICE_STOPPING)


class AttachedContext(AppContext):
    """The application context of one worker thread: the host's live config (sandbox URLs
    filled in), its own store connection, a browser host attached to the shared Chromium."""

    def __init__(self, config: Config, cdp_url: str, catalogue: Catalogue) -> None:
        super().__init__(str(config.path))
        self._config = config
        self._catalogue = catalogue
        self._host = BrowserHost(config, cdp_url=cdp_url)

    def live_config(self) -> Config:
        return self.config


@dataclass
class _Job(Generic[T]):
    fn: Callable[[AppContext], T]
    future: Future[T]


class WorkerPool:
    """A fixed set of workers fed from one queue; drain() stops taking work."""

    def __init__(self, config: Config, cdp_url: str, catalogue: Catalogue, workers: int) -> None:
        self._make_app = lambda: AttachedContext(config, cdp_url, catalogue)
        self._queue: queue.Queue[_Job[Any] | None] = queue.Queue()
        self._threads = [threading.Thread(target=self._work, name=f"worker-{n}", daemon=True)
                         for n in range(workers)]
        self._busy = 0
        self._lock = threading.Lock()
        self.draining = threading.Event()
        self.log = get_logger()

    @property
    def size(self) -> int:
        return len(self._threads)

    @property
    def busy(self) -> int:
        with self._lock:
            return self._busy

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[[AppContext], T]) -> Future[T]:
        future: Future[T] = Future()
        if self.draining.is_set():
            future.set_exception(ServiceStopping())
            return future
        self._queue.put(_Job(fn, future))
        return future

    def drain(self) -> None:
        """Take no new work and cancel what has not started (it has touched nothing yet)."""
        self.draining.set()
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and job.future.set_running_or_notify_cancel():
                job.future.set_exception(ServiceStopping())

    def close(self, grace: timedelta) -> int:
        """Let running jobs finish (up to ``grace``); returns how many were still running."""
        self.drain()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=grace.total_seconds())
        return sum(thread.is_alive() for thread in self._threads)

    def _work(self) -> None:
        app = self._make_app()
        try:
            while (job := self._queue.get()) is not None:
                if not job.future.set_running_or_notify_cancel():
                    continue
                with self._lock:
                    self._busy += 1
                try:
                    job.future.set_result(job.fn(app))
                except BaseException as exc:  # handed to the caller, who reports it
                    job.future.set_exception(exc)
                finally:
                    with self._lock:
                        self._busy -= 1
        finally:
            self._close(app)

    def _close(self, app: AppContext) -> None:
        from playwright.sync_api import Error as PlaywrightError

        try:
            app.close()
        except PlaywrightError as exc:  # the browser went first (killed with the process group)
            self.log.warning("worker_close_failed", error=exc.message)
