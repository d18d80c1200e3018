"""A queued run's trace context: put in the task's headers where it is sent, read back where
Celery hands the task over (its request ``Context``, built from the message headers)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.app.task import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runner.clock import FixedClock
from runner.observability import hooks, tracing, worker
from tests.unit.stand_in_run import stand_in_executor

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    found = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(found))
    tracing.use_provider(provider)
    yield found
    tracing.use_provider(None)
    hooks.carried.set(None)


def test_the_enqueue_span_travels_in_the_headers_to_the_drive(
        exporter: InMemorySpanExporter) -> None:
    headers: dict[str, object] = {}
    worker._publishing(sender="certrunner.advance", headers=headers,
                       body=(("r-1", "claim"), {}, {}))
    (sent,) = exporter.get_finished_spans()
    assert sent.name == "enqueue certrunner.advance"
    assert sent.attributes is not None and sent.attributes["certrunner.run_id"] == "r-1"
    assert headers["traceparent"] == f"00-{sent.context.trace_id:032x}-" \
                                     f"{sent.context.span_id:016x}-01"
    task = SimpleNamespace(request=Context(dict(headers)))
    worker._task_starts(task=task)
    assert hooks.carried.get() == (f"{sent.context.trace_id:032x}",
                                   f"{sent.context.span_id:016x}")
    worker._task_ends(task=task)
    assert hooks.carried.get() is None


def test_nothing_is_added_without_a_tracer_or_for_other_tasks(
        exporter: InMemorySpanExporter) -> None:
    headers: dict[str, object] = {}
    worker._publishing(sender="certrunner.sweep", headers=headers, body=((), {}, {}))
    assert headers == {} and exporter.get_finished_spans() == ()
    tracing.use_provider(None)
    worker._publishing(sender="certrunner.advance", headers=headers, body=(("r", None), {}, {}))
    assert headers == {}


def test_tracing_follows_the_standard_variables() -> None:
    assert not tracing.wanted({})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                               "OTEL_SDK_DISABLED": "true"})
    assert not tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                               "OTEL_TRACES_EXPORTER": "none"})


def test_a_drive_links_to_whoever_queued_it(exporter: InMemorySpanExporter,
                                            tmp_path: Path) -> None:
    queued_by = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    hooks.carried.set(queued_by)
    flow, store, executor = stand_in_executor(tmp_path, FixedClock(NOW), {}, """
        name: at_once
        steps:
          - id: done
            end: nothing_to_do
        """)
    assert executor.start(flow, "T-1", {}).status == "succeeded"
    (drive,) = [s for s in exporter.get_finished_spans() if s.parent is None]
    assert [(f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}")
            for link in drive.links] == [queued_by]
    assert f"{drive.context.trace_id:032x}" != queued_by[0]  # a trace of its own
    store.close()
