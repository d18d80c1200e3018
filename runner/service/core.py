"""The service's one engine room: what every door (HTTP routes, MCP tools) calls.

It owns the warm parts (config with the sandbox started, one shared Chromium, the worker pool,
the scheduler) and turns requests into jobs that call the CLI's own command functions, so a
run answered over HTTP or MCP is the very ``RunResult`` the CLI prints. Two requests for one
ticket and flow while the first is running share its answer; across processes the store's
unique (ticket, flow) and its leases keep it to one run.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

from runner.app.notify import PUBLIC_URL_VAR, Notifier
from runner.cli import commands
from runner.cli.app import App
from runner.engine.result import RunResult, result_of
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.language.validate import check_inputs
from runner.logs import get_logger
from runner.service import runs
from runner.service.options import ServiceOptions
from runner.service.pool import WorkerPool
from runner.service.scheduler import Scheduler
from runner.store.dialect import redacted
from runner.store.runs import Run, RunStore, default_owner

FLOW_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class RunService:
    def __init__(self, options: ServiceOptions) -> None:
        self.options = options
        self.app = App(options.config_path, headed=options.headed)
        self.owner = default_owner()
        self.log = get_logger()
        self._local = threading.local()
        self._lock = threading.RLock()  # done-callbacks may run inside it
        self._in_flight: dict[tuple[str, str, str], Future[RunResult]] = {}
        self._chromium: Any = None
        self.pool: WorkerPool | None = None
        self.scheduler: Scheduler | None = None
        self.notifier = Notifier.from_env(f"http://{options.host}:{options.port}")

    # life cycle

    def start(self) -> None:
        from runner.browser.launcher import SharedChromium

        config = self.app.live_config()
        self._chromium = SharedChromium(headless=config.browser.headless)
        self.pool = WorkerPool(config, self._chromium.ws_url, self.app.catalogue,
                               self.options.workers)
        self.pool.start()
        self.scheduler = Scheduler(self.queue_due, self.options.poll)
        self.scheduler.start()
        self.notifier.start()
        self.log.info("service_started", workers=self.options.workers,
                      chromium_pid=self._chromium.pid, store=redacted(config.store_target))

    def drain(self) -> None:
        """SIGTERM: no new work; running runs carry on to their next pause or end."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.pool is not None:
            self.pool.drain()

    def stop(self) -> int:
        """Returns how many runs were still running after the grace period (they stay
        "running" under this dead process and the next start resumes them)."""
        self.drain()
        left = self.pool.close(self.options.grace) if self.pool is not None else 0
        if left:
            # Stopping the browser under a running step would fail the run; it stays
            # "running" instead, and the caller ends the process (see serve.py).
            self.log.warning("service_stopped_mid_run", running=left)
            return left
        self.notifier.stop()
        if self._chromium is not None:
            self._chromium.stop()
        self.app.close()
        return 0

    def bound(self, host: str, port: int) -> None:
        """The address the server listens on (``--port 0`` picks one): the console's links."""
        if not os.environ.get(PUBLIC_URL_VAR):
            self.notifier.base_url = f"http://{host}:{port}"

    def kill_browser(self) -> None:
        """Only for a process about to exit with runs mid-step (they resume on restart)."""
        if self._chromium is not None:
            self._chromium.kill()

    @property
    def cdp_url(self) -> str | None:
        """The shared Chromium's DevTools address (benchmarks attach a baseline script)."""
        return self._chromium.ws_url if self._chromium is not None else None

    @property
    def ready(self) -> bool:
        return (self.pool is not None and not self.pool.draining.is_set()
                and self._chromium is not None and self._chromium.process.poll() is None)

    def stats(self) -> dict[str, Any]:
        pool = self.pool
        return {"workers": pool.size if pool else 0, "busy": pool.busy if pool else 0,
                "queued": pool.queued if pool else 0, "ready": self.ready}

    @property
    def store(self) -> RunStore:
        """A connection for the calling thread (SQLite connections stay in their thread)."""
        store: RunStore | None = getattr(self._local, "store", None)
        if store is None:
            self.app.config.store.parent.mkdir(parents=True, exist_ok=True)
            store = self._local.store = RunStore(self.app.config.store_target)
        return store

    # runs

    def run_flow(self, flow: str, ticket: str, inputs: dict[str, Any]) -> Future[RunResult]:
        """Start (or join, or find) the run of ``flow`` for ``ticket``."""
        if not FLOW_NAME.match(flow):
            raise InputError(f"flow must be a flow name (see list_flows), got {flow!r}",
                             ErrorCode.UNKNOWN_FLOW)
        loaded = commands.validate_flow(flow)
        check_inputs(loaded, inputs)
        if not ticket.strip():
            raise InputError("a ticket id is required", ErrorCode.MISSING_TICKET)
        key = ("new", loaded.name, ticket)
        with self._lock:
            running = self._in_flight.get(key)
            if running is not None:
                return _as_existing(running)
            return self._submit(key, lambda app: commands.run_flow(app, flow, ticket, inputs))

    def resume_run(self, run_id: str, inputs: dict[str, Any]) -> Future[RunResult]:
        """Continue a run (a finished or abandoned one answers as it is: the executor decides)."""
        self._run(run_id)
        with self._lock:
            return self._submit(("run", run_id, ""),
                                lambda app: commands.resume_run(app, run_id, inputs))

    def queue_due(self) -> int:
        """Queue every due or orphaned run not already being worked on here."""
        now = self.app.clock.now()
        queued = 0
        with self._lock:
            busy = set(self._in_flight)
            for run in self.store.due_runs(now) + self.store.orphaned_runs(now):
                if {("run", run.run_id, ""), ("new", run.flow, run.ticket)} & busy:
                    continue
                future = self._submit(("run", run.run_id, ""), _resume_job(run.run_id))
                future.add_done_callback(self._log_scheduled)
                busy.add(("run", run.run_id, ""))
                queued += 1
        return queued

    def _result(self, run: Run) -> RunResult:
        return result_of(run, self.store.events(run.run_id))

    def get_run(self, run_id: str) -> RunResult:
        return self._result(self._run(run_id))

    def list_runs(self, *, ticket: str | None = None, flow: str | None = None,
                  status: str | None = None, limit: int = 50) -> list[RunResult]:
        return [self._result(run) for run in runs.list_runs(self.store, ticket=ticket, flow=flow,
                                                         status=status, limit=limit)]

    def abandon_run(self, run_id: str, reason: str) -> RunResult:
        return self._result(runs.abandon_run(self.store, run_id, reason))

    def list_flows(self) -> list[dict[str, str]]:
        return commands.list_flows()

    def artifact(self, run_id: str, name: str) -> Path:
        """A file the run lists in its ``artifacts`` (captcha, screenshots, trace), by name.

        Only listed files: the run's folder also holds its console cookies, which never leave.
        """
        folder = (self.app.config.artifacts / run_id).resolve()
        for listed in self._result(self._run(run_id)).artifacts:
            path = Path(listed).resolve()
            if path.name == name and path.is_relative_to(folder) and path.is_file():
                return path
        raise InputError(f"run {run_id} has no artifact {name!r}", ErrorCode.UNKNOWN_ARTIFACT)

    # helpers

    def _run(self, run_id: str) -> Run:
        run = self.store.get_run(run_id)
        if run is None:
            raise InputError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN)
        return run

    def _submit(self, key: tuple[str, str, str],
                job: Callable[[App], RunResult]) -> Future[RunResult]:
        assert self.pool is not None, "start() the service first"
        future = self.pool.submit(job)
        self._in_flight[key] = future
        future.add_done_callback(lambda _f: self._forget(key, future))
        future.add_done_callback(self._notify)
        return future

    def _notify(self, future: Future[RunResult]) -> None:
        """Where a drive ends: tell the people in the loop if it now waits for them."""
        if not future.cancelled() and future.exception() is None:
            self.notifier.after_drive(future.result())

    def _forget(self, key: tuple[str, str, str], future: Future[RunResult]) -> None:
        with self._lock:
            if self._in_flight.get(key) is future:
                del self._in_flight[key]

    def _log_scheduled(self, future: Future[RunResult]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self.log.error("scheduled_resume_failed", error=repr(error))
            return
        result = future.result()
        self.log.info("scheduled_resume", run_id=result.run_id, status=result.status,
                      outcome=result.outcome)


def _resume_job(run_id: str) -> Callable[[App], RunResult]:
    return lambda app: commands.resume_run(app, run_id, {})


def _as_existing(running: Future[RunResult]) -> Future[RunResult]:
    """The first request's answer, marked as the existing run it is for the second."""
    joined: Future[RunResult] = Future()

    def copy(done: Future[RunResult]) -> None:
        error = done.exception()
        if error is not None:
            joined.set_exception(error)
        else:
            joined.set_result(replace(done.result(), existing=True))

    running.add_done_callback(copy)
    return joined
