"""The warm host behind the long-lived doors (HTTP, MCP over HTTP or stdio, the console).

It owns the warm parts (config with the sandbox started, one shared Chromium, the worker pool,
the scheduler) and turns requests into jobs that call the application layer
(``runner.app.tickets``, ``runner.app.runs``), so a run answered over HTTP, MCP or the console
is the very ``RunResult`` the command line prints. Two requests for one ticket and flow while
the first is running share its answer; across processes the store's unique (ticket, flow) and
its leases keep it to one run.

With ``hand_off`` the host is a front for the worker fleet: new tickets and due runs go to the
queue (``runner.app.handoff``), and only a person's answer is driven here (it never travels
through the broker); the run's console session comes from the store (``runner.app.files``).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import replace
from typing import Any

from runner.app import runs, tickets
from runner.app.context import AppContext
from runner.app.files import artifact_bytes
from runner.app.notify import PUBLIC_URL_VAR, Notifier
from runner.app.options import ServiceOptions
from runner.app.people import SYSTEM, Actor
from runner.app.pool import WorkerPool
from runner.app.scheduler import Scheduler
from runner.engine.result import RunResult
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.logs import get_logger
from runner.store.dialect import redacted
from runner.store.runs import Run, RunStore, default_owner

Key = tuple[str, str, str]


class RunService:
    def __init__(self, options: ServiceOptions) -> None:
        self.options = options
        self.app = AppContext(options.config_path, headed=options.headed)
        self.owner = default_owner()
        self.log = get_logger()
        self._local = threading.local()
        self._lock = threading.RLock()  # done-callbacks may run inside it
        self._in_flight: dict[Key, Future[RunResult]] = {}
        self._chromium: Any = None
        self.pool: WorkerPool | None = None
        self.scheduler: Scheduler | None = None
        self.listeners: list[Callable[[RunResult], None]] = []  # told of every drive's end
        self.notifier = Notifier.from_env(f"http://{options.host}:{options.port}")
        self.listeners.append(self.notifier.after_drive)

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
                      chromium_pid=self._chromium.pid, store=redacted(config.store_target),
                      hand_off=self.options.hand_off)

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
                "queued": pool.queued if pool else 0, "ready": self.ready,
                "browser_up": (self._chromium is not None
                               and self._chromium.process.poll() is None)}

    @property
    def store(self) -> RunStore:
        """A connection for the calling thread (SQLite connections stay in their thread)."""
        store: RunStore | None = getattr(self._local, "store", None)
        if store is None:
            self.app.config.store.parent.mkdir(parents=True, exist_ok=True)
            store = self._local.store = RunStore(self.app.config.store_target)
        return store

    @property
    def reader(self) -> AppContext:
        """An application context for reads in the calling thread (its own store connection,
        never a browser)."""
        ctx: AppContext | None = getattr(self._local, "reader", None)
        if ctx is None:
            ctx = self._local.reader = _Reader(self.app, self.store)
        return ctx

    # runs

    def run_flow(self, flow: str, ticket: str, inputs: dict[str, Any],
                 actor: Actor = SYSTEM) -> Future[RunResult]:
        """Start (or join, or find) the run of ``flow`` for ``ticket``; handed to the workers
        when this host is a front for them."""
        prepared = tickets.prepare(flow, ticket, inputs, named_only=True)
        if self.options.hand_off and not prepared.secrets:
            done: Future[RunResult] = Future()
            from runner.app.handoff import enqueue

            done.set_result(enqueue(self.reader, prepared).result)
            return done
        key = ("new", prepared.flow.name, ticket)
        with self._lock:
            running = self._in_flight.get(key)
            if running is not None:
                return _as_existing(running)
            return self._submit(key, lambda ctx: tickets.start(ctx, prepared, actor=actor))

    def resume_run(self, run_id: str, inputs: dict[str, Any], actor: Actor = SYSTEM,
                   seen: str | None = None) -> Future[RunResult]:
        """Continue a run (a finished or abandoned one answers as it is: the executor decides).
        A person's answer is always driven here: it never goes through the broker. ``seen``:
        the captcha image the answer was read off (``tickets.check_seen``)."""
        tickets.load_run(self.reader, run_id)
        key: Key = ("run", run_id, "")

        def job(ctx: AppContext) -> RunResult:
            return tickets.resume(ctx, run_id, inputs, actor=actor, seen=seen)

        with self._lock:
            ahead = self._in_flight.get(key)
            return self._submit(key, job if ahead is None else _after(ahead, job))

    def queue_due(self) -> int:
        """Queue every due or orphaned run not already being worked on here (to the workers,
        when this host is a front for them)."""
        if self.options.hand_off:
            from runner.app.handoff import send_claimed
            from runner.app.queue import claim_ttl
            from runner.app.queue_watch import report_stale
            from runner.store.claims import claim_due_runs

            report_stale(self.store, self.app.clock.now(), self.notifier)
            return send_claimed(self.store, claim_due_runs(self.store, claim_ttl()))
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

    def get_run(self, run_id: str) -> RunResult:
        return runs.get(self.reader, run_id)

    def list_runs(self, *, ticket: str | None = None, flow: str | None = None,
                  status: str | None = None, limit: int = 50) -> list[RunResult]:
        return runs.list_runs(self.reader, runs.Filters(status=status, ticket=ticket,
                                                        flow=flow, limit=limit))

    def abandon_run(self, run_id: str, reason: str, actor: Actor = SYSTEM,
                    force: bool = False) -> RunResult:
        return runs.abandon(self.reader, run_id, reason, actor, force=force)

    def list_flows(self) -> list[dict[str, str]]:
        return tickets.list_flows()

    def artifact(self, run_id: str, name: str) -> tuple[bytes, str]:
        """A file the run lists in its ``artifacts`` (captcha, screenshots, trace), by name:
        from this machine's disk, else from the store (a run driven on another machine).
        Only listed files: the run's folder also holds its console cookies, which never leave.
        """
        run = self._run(run_id)  # one read: the listed artifacts come from the same row
        found = artifact_bytes(self.store, run.run_id, name,
                               runs.result(self.reader, run).artifacts)
        if found is None:
            raise InputError(f"run {run_id} has no artifact {name!r}",
                             ErrorCode.UNKNOWN_ARTIFACT)
        return found

    # helpers

    def _run(self, run_id: str) -> Run:
        return tickets.load_run(self.reader, run_id)

    def _submit(self, key: Key, job: Callable[[AppContext], RunResult]) -> Future[RunResult]:
        assert self.pool is not None, "start() the service first"
        future = self.pool.submit(job)
        self._in_flight[key] = future
        future.add_done_callback(lambda _f: self._forget(key, future))
        future.add_done_callback(self._tell_listeners)
        return future

    def _tell_listeners(self, future: Future[RunResult]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        for listener in self.listeners:
            listener(future.result())

    def _forget(self, key: Key, future: Future[RunResult]) -> None:
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


class _Reader(AppContext):
    """The host's config with one thread's store connection: for reads, never a browser."""

    def __init__(self, host: AppContext, store: RunStore) -> None:
        super().__init__(host.config_path)
        self._config = host.config
        self._store = store

    def close(self) -> None:
        """The store belongs to the host's thread-local; nothing else was started."""


def _resume_job(run_id: str) -> Callable[[AppContext], RunResult]:
    return lambda ctx: tickets.resume(ctx, run_id, {})


def _after(ahead: Future[RunResult],
           job: Callable[[AppContext], RunResult]) -> Callable[[AppContext], RunResult]:
    """``job`` once ``ahead``, a drive of the same run, has ended (however it ended).

    Two people answering one question at once (two operators in the console, an agent and a
    person) must not both be taken: the second answer is checked against the run as the first
    left it, and refused when the question was answered (``answer_not_asked``), before it is
    recorded. The pool hands out jobs in order, so ``ahead`` has a worker before this does."""
    def after(ctx: AppContext) -> RunResult:
        wait([ahead])
        return job(ctx)

    return after


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


def exit_mid_run(service: RunService) -> None:
    """Leave the unfinished runs exactly as their last saved step left them: no thread may
    write a failure now, so the process ends at once (the next start resumes them)."""
    sys.stderr.flush()
    service.kill_browser()
    os._exit(3)
