"""A Celery worker's metrics port, and the trace context a queued run carries to its worker.

Metrics on a port of the worker's own, not prometheus_client's multiprocess collector: a
worker runs its tasks in threads of one process (``--pool=threads``, ``runner.cli.queue``), so
that process's counters already are all of its tasks'. The multiprocess collector exists for
forked pools, whose children count apart and must meet in files on disk (a folder to manage,
wiped at each start, and gauges that need a mode per metric); nothing here forks. The port is
``CERTRUNNER_METRICS_PORT`` (``worker --metrics-port``); unset, the worker opens none, which is
what the tests and a laptop want. The address is ``CERTRUNNER_METRICS_HOST`` (default
127.0.0.1: set 0.0.0.0 for a Prometheus on another machine).

Traces: a process that queues a run (``enqueue``, the sweep) makes a short producer span and
puts its ``traceparent`` in the task's headers; the worker's drive links to it
(``hooks.carried``), so a queued run's first drive shows who queued it and when.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from runner.logs import get_logger
from runner.observability import hooks, tracing

PORT_VAR = "CERTRUNNER_METRICS_PORT"
HOST_VAR = "CERTRUNNER_METRICS_HOST"
TRACED_TASKS = ("certrunner.advance",)

_lock = threading.Lock()
_busy = 0
_installed = False


def install() -> None:
    """Connect the task signals (once per process; harmless again)."""
    global _installed
    from celery.signals import before_task_publish, task_postrun, task_prerun

    with _lock:
        if _installed:
            return
        before_task_publish.connect(_publishing, weak=False)
        task_prerun.connect(_task_starts, weak=False)
        task_postrun.connect(_task_ends, weak=False)
        _installed = True


def start_metrics(config: Any, concurrency: Any, browser_up: Any) -> int | None:
    """Open the metrics port if one is configured; answers the port bound, logged as
    ``metrics_listening``. ``config`` is the worker's (its store and state home)."""
    port = os.environ.get(PORT_VAR, "").strip()
    if not port:
        return None
    from runner.observability.exposition import serve
    from runner.store.runs import RunStore

    workers = int(concurrency) if str(concurrency).isdigit() else 0  # Celery's may be "auto"

    def stats() -> dict[str, Any]:
        return {"workers": workers, "busy": _busy, "browser_up": browser_up()}

    home = Path(config.store).parent
    bound = serve(int(port), os.environ.get(HOST_VAR, "127.0.0.1"),
                  lambda: RunStore(config.store_target), home, stats)
    get_logger().info("metrics_listening", port=bound)
    return bound


def _publishing(sender: Any = None, headers: dict[str, Any] | None = None,
                body: Any = None, **_kwargs: Any) -> None:
    active = tracing.tracer()
    if active is None or headers is None or sender not in TRACED_TASKS:
        return
    args = body[0] if isinstance(body, tuple | list) and body else ()
    run_id = str(args[0]) if args else ""
    span = active.start_span(f"enqueue {sender}", attributes={"certrunner.run_id": run_id})
    tracing.inject(span, headers)
    span.end()


def _task_starts(task: Any = None, **_kwargs: Any) -> None:
    global _busy
    with _lock:
        _busy += 1
    request = getattr(task, "request", None)
    value = getattr(request, tracing.TRACEPARENT, None) or (
        getattr(request, "headers", None) or {}).get(tracing.TRACEPARENT)
    hooks.carried.set(tracing.parse_traceparent(value))


def _task_ends(**_kwargs: Any) -> None:
    global _busy
    with _lock:
        _busy -= 1
    hooks.carried.set(None)
