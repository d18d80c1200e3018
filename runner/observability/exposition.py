"""Where metrics are read: the service's ``GET /metrics``, a worker's own port.

Each exposing process answers one registry made of its own counters
(``runner.observability.metrics``), the store's gauges, the nightly check's, and its own
state (workers busy, browser up). Exposing turns counting on (``hooks.enable_metrics``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from runner.observability import hooks
from runner.observability.metrics import PREFIX
from runner.observability.nightly import read_nightly
from runner.observability.store_gauges import OpenStore, StoreCollector
from runner.store.runs import RunStore

Stats = Callable[[], Mapping[str, Any]]  # workers, busy, browser_up


class NightlyCollector(Collector):
    """The last nightly selector check, read from the state home at scrape time."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = read_nightly(self.home)
        if state.pages is not None:
            pages = GaugeMetricFamily(f"{PREFIX}_selector_pages",
                                      "Pages of the newest nightly check, by status.",
                                      labels=["status"])
            for status, count in sorted(state.pages.items()):
                pages.add_metric([status], count)
            yield pages
        if state.last_pass is not None:
            yield GaugeMetricFamily(f"{PREFIX}_selector_last_pass_timestamp_seconds",
                                    "When the last passing nightly check started (Unix time).",
                                    value=state.last_pass)


class ProcessStateCollector(Collector):
    """This process's own state: its workers (threads that drive runs) and its browser."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.stats()
        yield GaugeMetricFamily(f"{PREFIX}_workers", "Runs this process can drive at once.",
                                value=now.get("workers", 0))
        yield GaugeMetricFamily(f"{PREFIX}_workers_busy", "Of those, busy now.",
                                value=now.get("busy", 0))
        yield GaugeMetricFamily(f"{PREFIX}_browser_up", "1 while this process's Chromium runs.",
                                value=1 if now.get("browser_up") else 0)


def registry(open_store: OpenStore, home: Path, stats: Stats) -> CollectorRegistry:
    """Everything one process exposes, counting switched on."""
    exposed = CollectorRegistry(auto_describe=False)
    exposed.register(hooks.enable_metrics().REGISTRY)
    exposed.register(StoreCollector(open_store))
    exposed.register(NightlyCollector(home))
    exposed.register(ProcessStateCollector(stats))
    return exposed


def mount(app: Any, service: Any) -> None:
    """``GET /metrics`` on the service's FastAPI ``app`` (behind its token, if it has one).

    ``service`` gives ``stats()``, ``store`` (a connection of the calling thread) and
    ``app.config``; the route is a plain function, so FastAPI runs each scrape in its thread
    pool, where the store's queries may block.
    """
    from fastapi.responses import Response

    def open_store() -> AbstractContextManager[RunStore]:
        return nullcontext(service.store)  # the thread's own connection: kept, not closed

    exposed = registry(open_store, service.app.config.store.parent, service.stats)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(exposed), media_type=CONTENT_TYPE_LATEST)


def serve(port: int, host: str, open_store: OpenStore, home: Path, stats: Stats) -> int:
    """Expose on a port of this process's own (prometheus_client's threaded HTTP server, in a
    daemon thread that ends with the process); answers the port bound (``port`` 0: any)."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, host, registry=registry(open_store, home, stats))
    return int(server.server_port)
